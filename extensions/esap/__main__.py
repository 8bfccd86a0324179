"""``python -m esap`` runs the ``esap`` command."""

import sys

from esap.cli import main

sys.exit(main())
