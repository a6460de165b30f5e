"""``python -m usdbench.gate``: the same as ``usdbench gate``."""

import sys

from usdbench.cli import main

sys.exit(main(["gate", *sys.argv[1:]]))
