"""Bundled monitors, one module per service; each class is a monitor the evaluator runs."""
