"""``python -m usdbench.report``: the same as ``usdbench report``."""

import sys

from usdbench.cli import main

sys.exit(main(["report", *sys.argv[1:]]))
