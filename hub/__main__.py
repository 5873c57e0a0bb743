"""`python -m hub`: run a standalone hub (the same as `watchparty-tui serve`)."""

import sys

from hub.cli import run_serve

sys.exit(run_serve())
