"""`python -m tui.cli`: the same as the `bayops` script."""
import sys

from tui.cli.main import main

sys.exit(main())
