"""Small real medical files for tests: DICOM written by pydicom, NIfTI by nibabel, 16-bit PNG by PIL."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

#: identifying values written into every test DICOM; the privacy test searches outputs for them
PATIENT_NAME = "Quixotehazel^Bartholomewina"
PATIENT_ID = "PID-93517-ZQX"
PATIENT_BIRTH_DATE = "19380217"
INSTITUTION = "Saint Elsewhere Zqx Hospital"
IDENTIFYING = (PATIENT_NAME, PATIENT_ID, PATIENT_BIRTH_DATE, INSTITUTION, "Quixotehazel", "Bartholomewina")


def write_dicom(path: Path, pixels: np.ndarray, *, slope: float = 1.0, intercept: float = 0.0,
                window: tuple[float, float] | None = None, photometric: str = "MONOCHROME2",
                transfer_syntax=None, signed: bool = False) -> Path:
    """A single-frame CT-like DICOM file holding ``pixels`` (uint8/uint16/int16 (H, W), or uint8 (H, W, 3))
    with patient identity tags filled in."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = transfer_syntax or ExplicitVRLittleEndian
    dataset = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    dataset.SOPClassUID = CTImageStorage
    dataset.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    dataset.PatientName = PATIENT_NAME
    dataset.PatientID = PATIENT_ID
    dataset.PatientBirthDate = PATIENT_BIRTH_DATE
    dataset.InstitutionName = INSTITUTION
    dataset.Modality = "CT"
    dataset.Rows, dataset.Columns = pixels.shape[:2]
    if pixels.ndim == 3:
        dataset.SamplesPerPixel = 3
        dataset.PlanarConfiguration = 0
        dataset.PhotometricInterpretation = "RGB"
    else:
        dataset.SamplesPerPixel = 1
        dataset.PhotometricInterpretation = photometric
    bits = pixels.dtype.itemsize * 8
    dataset.BitsAllocated = dataset.BitsStored = bits
    dataset.HighBit = bits - 1
    dataset.PixelRepresentation = 1 if signed else 0
    if pixels.ndim == 2:
        dataset.RescaleSlope = slope
        dataset.RescaleIntercept = intercept
    if window is not None:
        dataset.WindowCenter, dataset.WindowWidth = window
    if meta.TransferSyntaxUID.is_compressed:  # stand-in compressed frame: only its decoder matters
        from pydicom.encaps import encapsulate

        dataset.PixelData = encapsulate([b"\xff\xd8\xff\xf7" + b"\0" * 60])
        dataset["PixelData"].VR = "OB"
    else:
        dataset.PixelData = np.ascontiguousarray(pixels).tobytes()
    dataset.save_as(path, enforce_file_format=True)
    return path


def write_nifti(path: Path, values: np.ndarray) -> Path:
    import nibabel

    nibabel.save(nibabel.Nifti1Image(values, np.eye(4)), str(path))
    return path


def write_png16(path: Path, values: np.ndarray) -> Path:
    Image.fromarray(values.astype(np.uint16)).save(path)
    return path


def ct_slice(size: int, bright_square: bool, seed: int) -> np.ndarray:
    """Stored values of a toy CT slice (intercept -1024): soft tissue with a dense square when asked."""
    rng = np.random.default_rng(seed)
    stored = np.full((size, size), 1024 + 40, dtype=np.float64) + rng.normal(0, 20, (size, size))
    if bright_square:
        corner = rng.integers(1, size // 2)
        stored[corner:corner + size // 3, corner:corner + size // 3] = 1024 + 700
    return np.clip(stored, 0, 4095).astype(np.uint16)


def dicom_class_folder(root: Path, per_class: int = 8, size: int = 16) -> Path:
    """root/normal and root/lesion of DICOM files named without identifiers."""
    for label, bright in (("normal", False), ("lesion", True)):
        (root / label).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            write_dicom(root / label / f"{label}{index:02d}.dcm", ct_slice(size, bright, index + (100 if bright else 0)),
                        intercept=-1024, window=(40, 400))
    return root
