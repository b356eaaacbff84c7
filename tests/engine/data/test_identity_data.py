"""Identity data for the embedding task: face-shapes, a folder per identity (LFW's layout, pairs.txt),
torchvision's LFW from the data root, and the split by identity."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data import DatasetError, dataset_info, load_dataset
from engine.data.face_shapes import generate_face_shapes
from engine.data.identities import IdentityData, identity_runs

SHAPE = (3, 16, 16)


def _identities(split, part) -> set[str]:
    return {split.class_names[label] for label in part.labels.tolist()}


def test_face_shapes_is_seeded_and_its_identities_look_alike_within_and_differ_between():
    first, labels = generate_face_shapes(40, (24, 24), seed=3)
    again, _ = generate_face_shapes(40, (24, 24), seed=3)
    other, _ = generate_face_shapes(40, (24, 24), seed=4)
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert first.shape == (40, 3, 24, 24) and labels.tolist() == [i // 10 for i in range(40)]
    # Same identity, other pose and light, is still nearer than another identity (on average).
    flat = first.flatten(1)
    same = torch.cdist(flat[:10], flat[:10]).sum() / 90
    different = torch.cdist(flat[:10], flat[10:]).mean()
    assert same < different


def test_validation_identities_never_appear_in_training():
    split = load_dataset("face-shapes:200", SHAPE, val_fraction=0.25, seed=1)
    assert split.target == "identity" and isinstance(split.train, IdentityData)
    train, val = _identities(split, split.train), _identities(split, split.val)
    assert not train & val and len(train) == 15 and len(val) == 5
    assert len(split.train) == 150 and len(split.val) == 50
    # Training identities are numbered first, validation ones after.
    assert int(split.train.labels.max()) < int(split.val.labels.min())
    assert any("split by identity: 15 identities (150 images)" in note for note in split.notes)
    assert dataset_info("face-shapes:200").target == "identity"


def test_training_batches_hold_runs_of_one_identity_and_each_image_once():
    labels = torch.arange(6).repeat_interleave(5)
    order = identity_runs(labels, torch.Generator().manual_seed(0), per_identity=4)
    assert sorted(order) == list(range(30))
    runs = [labels[order[i:i + 4]] for i in range(0, 8, 4)]
    assert all(len(set(run.tolist())) == 1 for run in runs[:1])
    data = IdentityData(torch.zeros(30, 1, 2, 2), labels)
    (_, batch), *_ = data.iter_batches(12, shuffle=True, generator=torch.Generator().manual_seed(1))
    counts = torch.bincount(batch)
    assert int(counts.max()) >= 2  # positives for the miner in the very first batch


def _face(path: Path, value: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((12, 12, 3), value, dtype=np.uint8)).save(path)


def lfw_folder(root: Path, people: int = 6, images: int = 3) -> Path:
    for person in range(people):
        name = f"Person_{person}"
        for number in range(1, images + 1):
            _face(root / name / f"{name}_{number:04d}.jpg", 20 * person + number)
    return root


def test_a_folder_per_identity_is_read_with_care_and_split_by_identity(tmp_path):
    root = lfw_folder(tmp_path / "faces")
    (root / "Person_0" / "Person_0_0009.jpg").write_bytes(b"not a jpeg")
    (root / "notes.txt").write_text("hello")
    info = dataset_info(root, target="identity")
    assert info.target == "identity" and len(info.class_names) == 6
    split = load_dataset(root, SHAPE, val_fraction=0.34, seed=0, target="identity")
    assert any("skipped 1 unreadable image(s): Person_0/Person_0_0009.jpg" in note for note in split.notes)
    assert not _identities(split, split.train) & _identities(split, split.val)
    assert len(split.train) + len(split.val) == 18 and split.pairs is None
    # The same folder is still a classification folder for the classification task.
    assert dataset_info(root).target == "label"


def test_pairs_txt_picks_the_validation_identities_and_the_verification_pairs(tmp_path):
    root = lfw_folder(tmp_path / "lfw")
    (root / "pairs.txt").write_text("1\t3\nPerson_4\t1\t2\nPerson_5\t2\t3\nPerson_4\t1\tPerson_5\t3\n"
                                    "Person_4\t1\tNobody\t1\ngarbage line here now\n")
    split = load_dataset(root, SHAPE, seed=0, target="identity")
    assert _identities(split, split.val) == {"Person_4", "Person_5"}
    assert "Person_4" not in _identities(split, split.train)
    assert len(split.pairs) == 3
    same = [split.val.labels[a] == split.val.labels[b] for a, b in split.pairs]
    assert [bool(s) for s in same] == [True, True, False]
    assert any("1 pair(s) name images not in the folder" in note for note in split.notes)
    assert any("1 line(s) are not" in note for note in split.notes)


def test_too_few_identities_is_one_clear_message(tmp_path):
    root = lfw_folder(tmp_path / "two", people=3, images=1)
    with pytest.raises(DatasetError, match="too few identities to split"):
        load_dataset(root, SHAPE, target="identity")


def test_lfw_missing_or_damaged_in_the_data_root_says_where_and_what_to_do(tmp_path):
    with pytest.raises(DatasetError, match=r"LFW was not found in .*lfw-py\. Run with --download"):
        load_dataset("lfw", SHAPE, root=tmp_path)
    (tmp_path / "lfw-py").mkdir()
    (tmp_path / "lfw-py" / "lfw-names.txt").write_text("broken")
    with pytest.raises(DatasetError, match=r"The LFW files in .*lfw-py are unreadable or damaged"):
        load_dataset("lfw", SHAPE, root=tmp_path)
    assert dataset_info("lfw").target == "identity"


def test_a_bad_face_shapes_count_is_refused_in_one_line():
    with pytest.raises(DatasetError, match="'face-shapes:7' asks for an impossible number of images"):
        load_dataset("face-shapes:7", SHAPE)
