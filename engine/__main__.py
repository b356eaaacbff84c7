"""``python -m engine`` (and ``torchrun -m engine``): the same command line as ``convcanvas``."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
