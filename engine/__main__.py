"""``python -m engine``: the same command line as ``convcanvas``."""
import sys

from .cli import main

sys.exit(main())
