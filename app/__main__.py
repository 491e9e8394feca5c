"""`python -m app` is the `ducha` command."""

import sys

from app.cli import main

sys.exit(main())
