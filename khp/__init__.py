"""The ``khp`` command line: one console script with a subcommand per task."""
