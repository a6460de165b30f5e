"""``python -m usdbench.timeline``: the same as ``usdbench timeline``."""

import sys

from usdbench.cli import main

sys.exit(main(["timeline", *sys.argv[1:]]))
