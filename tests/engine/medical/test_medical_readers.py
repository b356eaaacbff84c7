"""Medical readers on real files: DICOM written by pydicom, NIfTI by nibabel, 16-bit PNG by PIL."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from pydicom.uid import JPEGLSLossless

from engine.data import load_dataset, dataset_info
from engine.data.image_folder import decode_image
from engine.data.medical_files import MedicalFileError, read_medical
from engine.data.windowing import PRESETS, Window, window_of_params

from .medical_writers import ct_slice, dicom_class_folder, write_dicom, write_nifti, write_png16

RAMP = np.array([[0, 1000], [2000, 4095]], dtype=np.uint16)


def test_dicom_rescale_and_the_files_window(tmp_path):
    image = read_medical(write_dicom(tmp_path / "a.dcm", RAMP, slope=2.0, intercept=-1024, window=(40, 400)))
    assert image.values.tolist() == [[-1024, 976], [2976, 7166]]
    assert image.file_window == (40.0, 400.0)
    # the file's window: 40 ± 200 → -1024 is black, 976 (above 240) white
    assert image.to_unit().tolist() == [[[0.0, 1.0], [1.0, 1.0]]]


def test_dicom_8_bit_and_signed_16_bit(tmp_path):
    eight = read_medical(write_dicom(tmp_path / "8.dcm", np.array([[0, 255]], dtype=np.uint8)))
    assert eight.full_range == (0.0, 255.0) and eight.to_unit().tolist() == [[[0.0, 1.0]]]
    signed = read_medical(write_dicom(tmp_path / "s.dcm", np.array([[-1000, 0, 1000]], dtype=np.int16), signed=True))
    assert signed.values.tolist() == [[-1000, 0, 1000]]
    lung = signed.to_unit(Window("lung"))[0, 0]  # -600 ± 750: -1000 → 0.23, 0 → 0.9, 1000 → 1
    assert lung == pytest.approx([(-1000 + 1350) / 1500, 1350 / 1500, 1.0], abs=1e-6)


def test_monochrome1_is_inverted(tmp_path):
    mono1 = read_medical(write_dicom(tmp_path / "m1.dcm", np.array([[0, 255]], dtype=np.uint8),
                                     photometric="MONOCHROME1"))
    assert mono1.to_unit().tolist() == [[[1.0, 0.0]]]


def test_rgb_dicom_reads_as_three_channels(tmp_path):
    pixels = np.zeros((4, 5, 3), dtype=np.uint8)
    pixels[..., 0] = 255
    tensor = decode_image(write_dicom(tmp_path / "rgb.dcm", pixels))
    assert tensor.shape == (3, 4, 5) and tensor[0].min() == 1.0 and tensor[1:].max() == 0.0


def test_presets_and_manual_window_reach_the_pixels(tmp_path):
    path = write_dicom(tmp_path / "a.dcm", RAMP, intercept=-1024)
    bone = decode_image(path, Window("bone"))  # 400 ± 900
    centre, width = PRESETS["bone"]
    low = centre - width / 2
    assert torch.allclose(bone, torch.tensor([[[0.0, (-24 - low) / width], [(976 - low) / width, 1.0]]]))
    manual = decode_image(path, window_of_params({"window": "manual", "window_centre": -24.0, "window_width": 2.0}))
    assert manual.tolist() == [[[0.0, 0.5], [1.0, 1.0]]]
    # no window in the file: the full range the stored bits can hold (16 bits here)
    assert decode_image(path)[0, 1, 1].item() == pytest.approx(4095 / 65535)


def test_a_compressed_syntax_without_a_decoder_is_named_with_what_to_install(tmp_path):
    path = write_dicom(tmp_path / "ls.dcm", RAMP, transfer_syntax=JPEGLSLossless)
    with pytest.raises(MedicalFileError) as caught:
        read_medical(path)
    assert "JPEG-LS Lossless" in caught.value.reason and "install" in caught.value.reason


@pytest.mark.parametrize("content, words", [(b"not a dicom at all", "not a DICOM file"),
                                            (b"\0" * 128 + b"DICM" + b"\x02\x00", "truncated")])
def test_broken_dicom_files_are_named(tmp_path, content, words):
    path = tmp_path / "bad.dcm"
    path.write_bytes(content)
    with pytest.raises(MedicalFileError, match=words):
        read_medical(path)


def test_a_dicom_cut_short_in_its_pixels_is_named(tmp_path):
    whole = write_dicom(tmp_path / "whole.dcm", ct_slice(32, True, 0)).read_bytes()
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(whole[:-500])
    with pytest.raises(MedicalFileError, match="cannot be decoded|damaged"):
        read_medical(cut)


def test_nifti_2d_slices_and_volumes(tmp_path):
    values = np.array([[0, 50], [100, 200]], dtype=np.float32)
    for name in ("a.nii", "b.nii.gz"):
        image = read_medical(write_nifti(tmp_path / name, values))
        assert image.values.tolist() == values.tolist()
        assert image.to_unit().tolist() == [[[0.0, 0.25], [0.5, 1.0]]]  # its own min..max
    assert read_medical(write_nifti(tmp_path / "c.nii", values[..., None])).values.shape == (2, 2)
    with pytest.raises(MedicalFileError, match="2×2×3 volume"):
        read_medical(write_nifti(tmp_path / "v.nii", np.zeros((2, 2, 3), dtype=np.float32)))
    (tmp_path / "d.nii.gz").write_bytes(b"\x1f\x8b broken")
    with pytest.raises(MedicalFileError):
        read_medical(tmp_path / "d.nii.gz")


def test_16_bit_png_keeps_its_range_or_takes_a_window(tmp_path):
    path = write_png16(tmp_path / "a.png", np.array([[0, 1000], [30000, 65535]]))
    assert decode_image(path)[0].flatten().tolist() == pytest.approx([0, 1000 / 65535, 30000 / 65535, 1.0])
    windowed = decode_image(path, Window("manual", 1000, 2000))
    assert windowed[0].tolist() == [[0.0, 0.5], [1.0, 1.0]]


def test_a_dicom_class_folder_trains_through_the_window_and_skips_bad_files_with_counts(tmp_path):
    root = dicom_class_folder(tmp_path / "ct", per_class=6)
    write_dicom(root / "lesion" / "IM000999", ct_slice(16, True, 7), intercept=-1024)  # no suffix: found by its marker
    (root / "normal" / "broken.dcm").write_bytes(b"\0" * 128 + b"DICM")
    write_dicom(root / "normal" / "ls.dcm", RAMP, transfer_syntax=JPEGLSLossless)
    write_nifti(root / "normal" / "volume.nii", np.zeros((4, 4, 2), dtype=np.float32))
    info = dataset_info(str(root))
    assert info.class_names == ("lesion", "normal") and info.num_samples == 16 and info.native_size == (16, 16)
    split = load_dataset(str(root), (1, 16, 16), val_fraction=0.25, window=Window("soft-tissue"))
    assert len(split.train) + len(split.val) == 13
    notes = " ".join(split.notes)
    assert "skipped 3 unreadable image(s) of 16" in notes
    assert "normal/ls.dcm (compressed as JPEG-LS Lossless" in notes and "normal/volume.nii (a 4×4×2 volume" in notes
    assert "soft-tissue window (centre 40, width 400)" in notes


def test_the_window_changes_what_the_network_sees(tmp_path):
    root = dicom_class_folder(tmp_path / "ct", per_class=4)
    lung = load_dataset(str(root), (1, 16, 16), window=Window("lung"))
    bone = load_dataset(str(root), (1, 16, 16), window=Window("bone"))
    assert lung.mean != bone.mean  # normalisation follows the window


def test_dicom_and_nifti_images_in_a_mask_folder(tmp_path):
    from PIL import Image

    root = tmp_path / "seg"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for index in range(3):
        pixels = ct_slice(8, True, index)
        write_dicom(root / "images" / f"s{index}.dcm", pixels, intercept=-1024)
        write_nifti(root / "images" / f"n{index}.nii.gz", pixels.astype(np.float32))
        mask = (pixels > 1500).astype(np.uint8)
        Image.fromarray(mask).save(root / "masks" / f"s{index}.png")
        Image.fromarray(mask).save(root / "masks" / f"n{index}.png")
    split = load_dataset(str(root), (1, 8, 8), val_fraction=0.3, window=Window("bone"))
    assert len(split.train) + len(split.val) == 6 and split.target == "mask"


def test_an_export_with_preprocessing_says_which_window_its_images_need():
    from engine.export.preprocessing import preprocessing_of

    lung = preprocessing_of((1, 16, 16), (0.5,), (0.2,), Window("lung")).describe("onnx")
    assert "float32 batches (N, 1, H, W)" in lung and "applies the lung window (centre -600, width 1500)" in lung
    assert "window" not in preprocessing_of((1, 16, 16), (0.5,), (0.2,), Window()).describe("torchscript")
