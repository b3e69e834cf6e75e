"""`bayops`: no sub-command opens the dashboard; sub-commands are the scriptable CLI.

Exit codes: 0 done; 1 operation failed (job failed, rolled back); 2 bad input or usage;
3 refused by a precondition, a lock or a role (nothing changed). With --json, stdout
carries exactly one JSON document (JSON lines for --follow and watch).

`main` lives in tui.cli.main (the top-level parser and the dispatch); each sub-command
group is one module that registers its parser and its handler together.
"""
from tui.cli.main import main

__all__ = ["main"]
