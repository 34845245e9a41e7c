"""``python -m astro_sso`` runs the command line."""

import sys

from .cli import main

sys.exit(main())
