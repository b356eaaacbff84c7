"""Where downloaded datasets live: its own light module, because the desktop window shows it at
start-up, before PyTorch (which the torchvision sets' module imports) has been imported."""
from __future__ import annotations

import os
from pathlib import Path

#: environment variable naming the folder that holds downloaded datasets
DATA_ROOT_ENV = "CONVCANVAS_DATA"
DEFAULT_DATA_ROOT = Path("~/.cache/convcanvas/datasets")


def default_data_root() -> Path:
    """$CONVCANVAS_DATA, else ~/.cache/convcanvas/datasets."""
    configured = os.environ.get(DATA_ROOT_ENV)
    return Path(configured or DEFAULT_DATA_ROOT).expanduser()
