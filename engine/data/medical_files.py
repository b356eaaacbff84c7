"""Medical image files: DICOM (pydicom), NIfTI (nibabel) and 16-bit PNG/TIFF, read into values the
window then maps to 0..1.

Only the pixels leave this module: no tag of a DICOM file (patient name, ID, birth date...) is
kept, so nothing ConvCanvas writes can copy one. Every file is read through the one door
(``reading.open_regular``) before pydicom or nibabel sees it. A file that cannot be used raises
``MedicalFileError`` (a ``ValueError``, so folder loaders skip and count it) whose ``reason`` says
what is wrong in one line, e.g. which compressed transfer syntax lacks a decoder and what to install.
"""
from __future__ import annotations

import gzip
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..reading import MAX_IMAGE_FILE_BYTES, open_regular, read_limited
from .windowing import Window, apply_range, apply_window

DICOM_EXTENSIONS = (".dcm", ".dicom")
NIFTI_EXTENSIONS = (".nii", ".nii.gz")
MEDICAL_EXTENSIONS = DICOM_EXTENSIONS + NIFTI_EXTENSIONS
_DICOM_MAGIC_OFFSET = 128


class MedicalFileError(ValueError):
    """A medical image file that cannot be used; ``reason`` is one line without the path."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.reason = reason


@dataclass
class MedicalImage:
    """The pixels of one file in its own units (Hounsfield units for CT) and what the file says
    about showing them. ``values``: (H, W) float32, or (H, W, 3) uint8 for colour files."""

    values: np.ndarray
    file_window: tuple[float, float] | None = None
    """(centre, width) the file recommends (DICOM's first Window Center/Width), if any."""
    full_range: tuple[float, float] | None = None
    """(low, high) the stored bits can hold, in the file's units; None: the image's own min..max."""
    inverted: bool = False
    """MONOCHROME1: low values are white, so the windowed image is flipped (1 - x)."""

    @property
    def channels(self) -> int:
        return 3 if self.values.ndim == 3 else 1

    def to_unit(self, window: Window | None = None) -> np.ndarray:
        """(C, H, W) float32 on 0..1 through ``window`` (None: the file's own)."""
        if self.values.ndim == 3:  # colour: 8-bit RGB, no window
            return (self.values.astype(np.float32) / 255.0).transpose(2, 0, 1).copy()
        band = (window or Window()).band(self.file_window)
        if band is not None:
            unit = apply_window(self.values, *band)
        else:
            low, high = self.full_range or (float(self.values.min(initial=0)), float(self.values.max(initial=0)))
            unit = apply_range(self.values, low, high if high > low else low + 1)
        if self.inverted:
            unit = 1.0 - unit
        return unit[None]


def has_medical_suffix(name: str | os.PathLike) -> bool:
    return str(name).lower().endswith(MEDICAL_EXTENSIONS)


def looks_like_dicom(path: str | os.PathLike) -> bool:
    """A file without a known suffix that carries DICOM's "DICM" marker after its 128-byte preamble
    (scanners often write files named IM000001 with no suffix)."""
    try:
        with open_regular(path, "a DICOM file", MAX_IMAGE_FILE_BYTES) as handle:
            return handle.read(_DICOM_MAGIC_OFFSET + 4)[_DICOM_MAGIC_OFFSET:] == b"DICM"
    except OSError:
        return False


def is_dicom_path(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(DICOM_EXTENSIONS) or (Path(path).suffix == "" and looks_like_dicom(path))


def is_medical_path(path: str | os.PathLike) -> bool:
    return has_medical_suffix(path) or (Path(path).suffix == "" and looks_like_dicom(path))


def read_medical(path: str | os.PathLike) -> MedicalImage:
    """The pixels of a DICOM or NIfTI file; raises ``MedicalFileError`` (or ``reading.RefusedFile``)."""
    if str(path).lower().endswith(NIFTI_EXTENSIONS):
        return read_nifti(path)
    return read_dicom(path)


# --- DICOM -----------------------------------------------------------------------------------------


def _dicom_dataset(path: str | os.PathLike, *, pixels: bool):
    import pydicom
    from pydicom.errors import InvalidDicomError

    with open_regular(path, "a DICOM file", MAX_IMAGE_FILE_BYTES) as handle:
        try:
            return pydicom.dcmread(handle, stop_before_pixels=not pixels)
        except InvalidDicomError:
            raise MedicalFileError(path, "not a DICOM file (no DICM marker after the 128-byte preamble)") from None
        except (EOFError, ValueError, KeyError, TypeError, OSError) as error:
            raise MedicalFileError(path, f"a damaged DICOM file ({_short(error)})") from None


def _check_decodable(path, dataset) -> None:
    """A compressed transfer syntax needs a decoder plug-in; say which when none is installed."""
    from pydicom.pixels.decoders.base import get_decoder

    syntax = getattr(getattr(dataset, "file_meta", None), "TransferSyntaxUID", None)
    if syntax is None:
        return
    try:
        decoder = get_decoder(syntax)
    except (NotImplementedError, ValueError):
        raise MedicalFileError(path, f"transfer syntax {syntax.name or syntax} is not one ConvCanvas can "
                                     "decode") from None
    if not decoder.is_available:
        needs = "; or ".join(decoder.missing_dependencies) or "a decoder plug-in"
        raise MedicalFileError(path, f"compressed as {syntax.name} and no decoder for it is installed "
                                     f"(install one: {needs})")


def dicom_header(path: str | os.PathLike) -> tuple[int, tuple[int, int]]:
    """(channels, (rows, columns)) from the header alone; raises ``MedicalFileError`` for a file that
    cannot be used (not DICOM, no image, a compressed syntax without a decoder, several frames)."""
    dataset = _dicom_dataset(path, pixels=False)
    _check_image(path, dataset)
    _check_decodable(path, dataset)
    colour = int(dataset.get("SamplesPerPixel", 1) or 1) == 3 or \
        str(dataset.get("PhotometricInterpretation", "")).strip() == "PALETTE COLOR"
    return (3 if colour else 1), (int(dataset.Rows), int(dataset.Columns))


def _check_image(path, dataset) -> None:
    if "Rows" not in dataset or "Columns" not in dataset:
        raise MedicalFileError(path, "no image in it (no Rows/Columns): a truncated file, or a report or structure set")
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    if frames > 1:
        raise MedicalFileError(path, f"a multi-frame DICOM ({frames} frames); ConvCanvas trains on 2-D images: "
                                     "save each frame as its own file")


def read_dicom(path: str | os.PathLike) -> MedicalImage:
    """Rescale slope/intercept (or the modality LUT) applied, the file's first window kept,
    MONOCHROME1 marked for inversion, colour files as 8-bit RGB."""
    from pydicom.pixels import apply_color_lut, apply_modality_lut

    dataset = _dicom_dataset(path, pixels=True)
    _check_image(path, dataset)
    _check_decodable(path, dataset)
    if "PixelData" not in dataset:
        raise MedicalFileError(path, "a DICOM file without pixel data")
    photometric = str(dataset.get("PhotometricInterpretation", "MONOCHROME2")).strip()
    try:
        pixels = dataset.pixel_array
        if photometric == "PALETTE COLOR":
            pixels = apply_color_lut(pixels, dataset)
            if pixels.dtype != np.uint8:  # 16-bit palette entries
                pixels = (pixels.astype(np.float32) / 257.0).round().astype(np.uint8)
            return MedicalImage(pixels)
        if pixels.ndim == 3:  # RGB (YBR is converted to RGB by pydicom)
            return MedicalImage(np.asarray(pixels, dtype=np.uint8))
        values = np.asarray(apply_modality_lut(pixels, dataset), dtype=np.float32)
    except (ValueError, RuntimeError, NotImplementedError, AttributeError, KeyError, TypeError, EOFError) as error:
        raise MedicalFileError(path, f"its pixel data cannot be decoded ({_short(error)})") from None
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise MedicalFileError(path, f"photometric interpretation {photometric} is not supported "
                                     "(MONOCHROME1, MONOCHROME2, RGB, YBR or PALETTE COLOR are)")
    return MedicalImage(values, file_window=_file_window(dataset), full_range=_stored_range(dataset),
                        inverted=photometric == "MONOCHROME1")


def _first(value) -> float:
    try:
        return float(value[0])
    except TypeError:  # a single value, not a multi-value
        return float(value)


def _file_window(dataset) -> tuple[float, float] | None:
    if "WindowCenter" not in dataset or "WindowWidth" not in dataset:
        return None
    try:
        centre, width = _first(dataset.WindowCenter), _first(dataset.WindowWidth)
    except (TypeError, ValueError, IndexError):
        return None
    return (centre, width) if width > 0 else None


def _stored_range(dataset) -> tuple[float, float] | None:
    """What the stored bits can hold, rescaled into the file's units."""
    bits = int(dataset.get("BitsStored", dataset.get("BitsAllocated", 8)) or 8)
    signed = int(dataset.get("PixelRepresentation", 0) or 0) == 1
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
    slope = float(dataset.get("RescaleSlope", 1) or 1)
    intercept = float(dataset.get("RescaleIntercept", 0) or 0)
    ends = sorted((low * slope + intercept, high * slope + intercept))
    return ends[0], ends[1]


# --- NIfTI -----------------------------------------------------------------------------------------


def _nifti_image(path: str | os.PathLike):
    import nibabel

    data = read_limited(path, "a NIfTI file", MAX_IMAGE_FILE_BYTES)
    if str(path).lower().endswith(".gz"):
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
                data = unzipped.read(MAX_IMAGE_FILE_BYTES + 1)
        except (OSError, EOFError) as error:
            raise MedicalFileError(path, f"a damaged .nii.gz file ({_short(error)})") from None
        if len(data) > MAX_IMAGE_FILE_BYTES:
            raise MedicalFileError(path, "unpacks to more than the 256 MB an image may take")
    problems = []
    for kind in (nibabel.Nifti1Image, nibabel.Nifti2Image):
        try:
            return kind.from_bytes(data)
        except Exception as error:  # nibabel raises many kinds for a bad header; try the next format
            problems.append(_short(error))
    raise MedicalFileError(path, f"not a readable NIfTI file ({problems[0]})")


def _nifti_plane(path, shape: tuple[int, ...]) -> tuple[int, int]:
    """A 2-D image: (X, Y), or trailing dimensions of size 1."""
    plane = tuple(shape[:2])
    if len(shape) < 2 or any(size != 1 for size in shape[2:]):
        raise MedicalFileError(path, f"a {'×'.join(map(str, shape))} volume; ConvCanvas trains on 2-D slices: "
                                     "save each slice as its own .nii file")
    return plane  # type: ignore[return-value]


def nifti_header(path: str | os.PathLike) -> tuple[int, tuple[int, int]]:
    image = _nifti_image(path)
    return 1, _nifti_plane(path, tuple(image.shape))


def read_nifti(path: str | os.PathLike) -> MedicalImage:
    """A 2-D NIfTI image (its scl_slope/scl_inter applied), rows and columns as stored."""
    image = _nifti_image(path)
    height, width = _nifti_plane(path, tuple(image.shape))
    try:
        values = np.asarray(image.get_fdata(dtype=np.float32)).reshape(height, width)
    except (ValueError, OSError, EOFError) as error:
        raise MedicalFileError(path, f"its voxel data cannot be read ({_short(error)})") from None
    if not np.isfinite(values).all():
        raise MedicalFileError(path, "holds NaN or infinite voxel values")
    return MedicalImage(values)


def medical_header(path: str | os.PathLike) -> tuple[int, tuple[int, int]]:
    """(channels, (height, width)) of a DICOM or NIfTI file without decoding its pixels."""
    if str(path).lower().endswith(NIFTI_EXTENSIONS):
        return nifti_header(path)
    return dicom_header(path)


# --- 16-bit PNG/TIFF through a window ---------------------------------------------------------------

#: PIL modes with more than 8 bits per pixel, which a window (other than the file's range) applies to
HIGH_BIT_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N", "F"})


def high_bit_values(image) -> np.ndarray:
    """The raw values of a 16-bit or 32-bit grey PIL image, (H, W) float32."""
    return np.asarray(image, dtype=np.float32)


def _short(error: BaseException) -> str:
    return " ".join(str(error).split())[:120] or type(error).__name__
