"""``python -m archiver`` runs the CLI."""

import sys

from archiver.cli import main

sys.exit(main())
