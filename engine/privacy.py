"""Keeping patient identity out of what ConvCanvas writes.

The readers take only pixels (and the label) from a medical file: no DICOM tag is kept, so none can
reach a checkpoint, a log, an export or a project. What remains is the file *names*, which hospitals
often build from a patient's name or ID: with ``hash_file_names`` on (``--hash-names``), every image
file name in the run's notes and in prediction results is replaced by a short hash of it, the same
name always giving the same hash (so results can still be matched to files by whoever holds them).
"""
from __future__ import annotations

import hashlib
import re

_SUFFIXES = r"dcm|dicom|nii\.gz|nii|png|jpe?g|tiff?|bmp|ppm|pgm|webp|npz|csv"
#: where a name in the notes can begin: the text's start, a line's, or after the separators the notes put
#: before names (``of 9: a.dcm, b.dcm; c.dcm``, ``(a.dcm)``, ``'a.dcm'``)
_START = r"""(?:^|(?<=: )|(?<=, )|(?<=; )|(?<=\()|(?<=\[)|(?<=')|(?<="))"""
#: a name's characters: spaces, commas, carets and apostrophes included ("John Smith", "Smith, John",
#: DICOM's "Smith^John", "O'Brien"), not a bracket, quote or semicolon, nor the ": " a listing follows
_BODY = r"""(?:(?!: )[^\n;()\[\]"])+?"""
#: a path or file name ending in an image suffix, the whole of it: folders and names with spaces too. The
#: name is taken from the earliest place it can begin, so a doubt hashes more, never less, of the text.
FILE_NAME = re.compile(rf"{_START}{_BODY}\.(?:{_SUFFIXES})(?!\w)(?!\.\w)", re.IGNORECASE | re.MULTILINE)


def hashed_name(name: str) -> str:
    """``file-3fa2…`` (+ the name's suffix, so the kind of file stays readable)."""
    suffix = ".nii.gz" if name.lower().endswith(".nii.gz") else ("." + name.rsplit(".", 1)[1] if "." in name else "")
    return f"file-{hashlib.sha256(name.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}{suffix.lower()}"


def hash_file_names(text: str) -> str:
    """``text`` with every image file name or path in it replaced by its hash."""
    return FILE_NAME.sub(lambda match: hashed_name(match.group(0)), text)
