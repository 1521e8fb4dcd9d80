"""``python -m khp`` is the ``khp`` command."""

import sys

from .cli import main

sys.exit(main())
