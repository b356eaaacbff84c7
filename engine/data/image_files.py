"""Image files opened through the one door: PIL never sees a pipe, a device or an endless file."""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image

from ..reading import MAX_IMAGE_FILE_BYTES, open_regular


@contextmanager
def open_image(path: str | os.PathLike) -> Iterator[Image.Image]:
    """``Image.open`` of a regular file of at most ``MAX_IMAGE_FILE_BYTES``; a refusal is a
    ``reading.RefusedFile`` (an ``OSError``, as PIL's own failures to read are)."""
    with open_regular(path, "an image", MAX_IMAGE_FILE_BYTES) as handle, Image.open(handle) as image:
        yield image
