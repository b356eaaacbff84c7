"""The Data view's engine half: the split as training makes it, class counts and the balance warning,
problems (unreadable, duplicates, leaks, odd sizes, masks, boxes), exclusions, streamed statistics."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from engine.cli import main
from engine.data import load_dataset
from engine.data.balance import balanced_order, count_classes, inverse_frequency_weights
from engine.data.data_problems import box_problems, excludable, scan_problems
from engine.data.sample_index import TRAIN, VAL, open_samples
from engine.data.stream_stats import Cancelled, streamed_channel_stats

from .data_folders import imbalanced_folder, mask_folder, problem_folder


def test_an_imbalanced_folder_counts_its_classes_per_split_and_warns_of_the_small_one(tmp_path):
    root = imbalanced_folder(tmp_path / "pets", {"cats": 90, "dogs": 6, "owls": 40}, channels=1)
    samples = open_samples(root, val_fraction=0.2, seed=0)
    counts = count_classes(samples.labels, samples.split, samples.class_names)
    assert counts.class_names == ("cats", "dogs", "owls")
    assert [t + v for t, v in zip(counts.train, counts.val)] == [90, 6, 40]
    assert counts.val == (18, 1, 8)  # stratified as training splits it
    assert counts.minorities() == ["dogs"]
    assert "dogs (5)" in counts.warning() and "10%" in counts.warning()
    balanced = count_classes(np.array([0, 1, 1]), np.array([0, 0, 0]), ["a", "b"])
    assert balanced.warning() == ""


def test_the_listed_split_is_the_one_training_loads(tmp_path):
    root = imbalanced_folder(tmp_path / "pets", {"cats": 20, "dogs": 12}, channels=1)
    samples = open_samples(root, input_shape=(1, 12, 12), val_fraction=0.25, seed=5)
    data = load_dataset(root, (1, 12, 12), val_fraction=0.25, seed=5)
    for split, part in ((TRAIN, data.train), (VAL, data.val)):
        listed = torch.stack([torch.from_numpy(samples.image(i)).permute(2, 0, 1) for i in samples.indices(split)])
        loaded = part.images * torch.tensor(data.std).view(1, -1, 1, 1) + torch.tensor(data.mean).view(1, -1, 1, 1)
        assert torch.allclose(listed.float() / 255, loaded, atol=1e-5)
        assert samples.labels[samples.indices(split)].tolist() == part.labels.tolist()


def test_problems_name_the_unreadable_the_duplicate_and_the_odd_sized_file(tmp_path):
    samples = open_samples(problem_folder(tmp_path / "p"), seed=0)
    problems = {(p.kind, p.name): p for p in scan_problems(samples)}
    assert ("unreadable", "dogs/broken.png") in problems
    assert not problems["unreadable", "dogs/broken.png"].in_training  # training skips it anyway
    copy = problems.get(("duplicate", "cats/copy.png")) or problems.get(("leak", "cats/copy.png")) \
        or problems.get(("duplicate", "cats/0000.png")) or problems.get(("leak", "cats/0000.png"))
    assert copy is not None and "the same image as cats/" in copy.message
    assert "60×60, far from the typical 12×12" in problems["odd size", "dogs/huge.png"].message
    assert len(problems) == 3


def test_a_duplicate_across_training_and_validation_is_a_leak(tmp_path):
    root = imbalanced_folder(tmp_path / "d", {"a": 10, "b": 10})
    samples = open_samples(root, seed=0)
    train_name = samples.names[samples.indices(TRAIN)[0]]
    val_name = samples.names[samples.indices(VAL)[0]]
    shutil.copy(root / train_name, root / val_name)  # the validation file now holds a training image
    leaks = [p for p in scan_problems(open_samples(root, seed=0)) if p.kind == "leak"]
    assert [(p.name, p.in_training) for p in leaks] == [(val_name, True)]
    assert f"the same image as {train_name} (train) is in val" in leaks[0].message


def test_excluded_files_leave_training_and_the_listing_but_stay_on_disk(tmp_path):
    root = problem_folder(tmp_path / "p")
    before = load_dataset(root, (3, 12, 12), seed=0)
    data = load_dataset(root, (3, 12, 12), seed=0, exclude=["cats/copy.png", "dogs/huge.png"])
    assert len(data.train) + len(data.val) == len(before.train) + len(before.val) - 2
    assert any("left out 2 file(s) the project excludes" in note for note in data.notes)
    samples = open_samples(root, seed=0, exclude=["cats/copy.png"])
    assert "cats/copy.png" not in samples.names and samples.excluded == ["cats/copy.png"]
    assert (root / "cats" / "copy.png").exists()
    assert "cats/copy.png" not in excludable(scan_problems(samples))


def test_a_mask_folder_names_the_mask_that_does_not_fit_and_the_unknown_class(tmp_path):
    samples = open_samples(mask_folder(tmp_path / "m"), seed=0)
    assert samples.target == "mask" and samples.class_names == ["background", "circle", "square"]
    problems = {p.name: p for p in scan_problems(samples)}
    assert "mask 10×11 does not fit its image 10×12" in problems["masks/bad.png"].message
    assert "holds class(es) 7 but the set has 3" in problems["images/odd.png"].message
    assert len(samples) == 7  # bad.png is out; odd.png is listed (training would use it)
    data = load_dataset(tmp_path / "m", (3, 10, 12), exclude=["images/odd.png"])
    assert len(data.train) + len(data.val) == 6


def test_boxes_outside_their_image_or_empty_are_problems():
    boxes = np.array([[0, 0.1, 0.1, 0.5, 0.5], [1, 0.5, 0.5, 1.2, 0.9], [0, 0.4, 0.4, 0.4, 0.6], [5, .1, .1, .2, .2]])
    messages = [p.message for p in box_problems("a.png", boxes, num_classes=2)]
    assert len(messages) == 3
    assert "reaches outside its image" in messages[0] and "is empty" in messages[1] and "a class the set does not list" in messages[2]


def test_streamed_statistics_equal_numpy_over_the_training_split(tmp_path):
    root = imbalanced_folder(tmp_path / "rgb", {"a": 30, "b": 25}, seed=3)
    samples = open_samples(root, seed=1)
    seen = []
    mean, std, counted = streamed_channel_stats(samples, (3, 12, 12), progress=lambda d, t: seen.append((d, t)))
    train = np.stack([np.asarray(Image.open(root / samples.names[i]), dtype=np.float64) / 255
                      for i in samples.indices(TRAIN)])
    assert counted == len(train) and seen[-1] == (counted, counted)
    np.testing.assert_allclose(mean, train.mean(axis=(0, 1, 2)), atol=1e-9)
    np.testing.assert_allclose(std, train.std(axis=(0, 1, 2)), atol=1e-9)
    grey_mean, _, _ = streamed_channel_stats(samples, (1, 12, 12))
    luma = (train * np.array([0.299, 0.587, 0.114])).sum(-1)
    assert grey_mean[0] == pytest.approx(luma.mean(), abs=1e-5)


def test_statistics_stop_when_cancelled(tmp_path):
    samples = open_samples("digits")
    with pytest.raises(Cancelled):
        streamed_channel_stats(samples, (1, 8, 8), cancelled=lambda: True)


def test_weights_and_resampling_even_out_the_classes():
    assert inverse_frequency_weights([90, 10]) == pytest.approx([100 / 180, 100 / 20])
    labels = torch.tensor([0] * 900 + [1] * 100)
    order = balanced_order(labels, torch.Generator().manual_seed(0))
    assert order.shape == (1000,)
    share = (labels[order] == 1).float().mean().item()
    assert 0.45 < share < 0.55  # was 0.10


def test_convcanvas_data_prints_the_summary_as_json(tmp_path, capsys):
    root = imbalanced_folder(tmp_path / "pets", {"cats": 40, "dogs": 3})
    assert main(["data", str(root), "--json", "--input", "3x12x12"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["classes"] == ["cats", "dogs"]
    assert [a + b for a, b in zip(summary["counts"]["train"], summary["counts"]["val"])] == [40, 3]
    assert "dogs" in summary["balance_warning"]
    assert len(summary["statistics"]["mean"]) == 3 and summary["problems"] == []
    assert main(["data", str(root), "--input", "3x12x12"]) == 0
    assert "warning: dogs" in capsys.readouterr().out


def test_convcanvas_data_refuses_a_missing_folder_in_one_line(tmp_path, capsys):
    assert main(["data", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not exist" in err
    assert main(["data", "digits", "--input", "huge"]) == 2
    assert "channels×height×width" in capsys.readouterr().err


def test_the_mask_moves_with_its_augmented_image(tmp_path):
    from engine.data import Augment
    from engine.data.network_view import what_the_network_receives

    samples = open_samples("seg-shapes:20", input_shape=(3, 16, 16))
    received = what_the_network_receives(samples, 0, (1, 24, 24), (0.5,), (0.25,), Augment(crop_padding=0, flip=True),
                                         seed=3, count=8)
    assert received.before.shape == (16, 16, 3) and received.adapted.shape == (1, 24, 24)
    np.testing.assert_allclose(received.normalised, (received.adapted - 0.5) / 0.25, atol=1e-6)
    flipped = 0
    for image, mask in received.augmented:
        if np.allclose(image, received.adapted[:, :, ::-1], atol=1e-5) and not np.allclose(image, received.adapted):
            flipped += 1
            assert (mask == received.target[:, ::-1]).all()
        else:
            np.testing.assert_allclose(image, received.adapted, atol=1e-5)
            assert (mask == received.target).all()
    assert 0 < flipped < 8


def test_boxes_move_with_a_flipped_image():
    from engine.data import Augment
    from engine.data.network_view import what_the_network_receives

    samples = open_samples("det-shapes:20", input_shape=(3, 32, 32))
    received = what_the_network_receives(samples, 1, (3, 32, 32), (0, 0, 0), (1, 1, 1), Augment(crop_padding=0, flip=True),
                                         seed=1, count=8)
    original = received.target[received.target[:, 0] >= 0]
    moved = [boxes for image, boxes in received.augmented if not np.allclose(image, received.adapted)]
    assert moved
    for boxes in moved:
        np.testing.assert_allclose(boxes[:, 1], 1 - original[:, 3], atol=1e-6)  # x0 ← 1 − x1
        np.testing.assert_allclose(boxes[:, 2], original[:, 2], atol=1e-6)


def test_a_coco_folder_lists_its_boxes_and_names_the_one_that_leaves_its_image(tmp_path):
    from .data_folders import coco_folder

    samples = open_samples(coco_folder(tmp_path / "coco"), seed=0)
    assert samples.target == "boxes" and samples.class_names == ["cat", "dog"]
    assert samples.names == ["images/a.png", "images/b.png", "images/c.png"]
    assert samples.unreadable == [("images/d.png", "missing or not a readable image")]
    np.testing.assert_allclose(samples.target_of(0), [[0, 0.1, 0.1, 0.6, 0.6]])
    problems = scan_problems(samples)
    boxes = [p for p in problems if p.kind == "boxes"]
    assert [(p.name, "reaches outside its image" in p.message) for p in boxes] == [("images/b.png", True)]
    assert [p.name for p in problems if p.kind == "unreadable"] == ["images/d.png"]


def test_a_broken_coco_file_is_refused_in_one_sentence(tmp_path):
    from engine.data import DatasetError

    (tmp_path / "annotations.json").write_text('{"images": 3}')
    with pytest.raises(DatasetError, match="is not a COCO annotation file"):
        open_samples(tmp_path)
