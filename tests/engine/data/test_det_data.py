"""det-shapes and the box side of the data layer: boxes that fit their shapes, move with the pixels, split."""
from __future__ import annotations

import pytest
import torch

from engine.data import DETECTION_DATASET_NAMES, Augment, DatasetError, dataset_info, load_dataset
from engine.data.augment import crop_offsets, paired_boxes
from engine.data.det_shapes import CLASS_NAMES, generate_det_shapes, tight_boxes
from engine.data.tensor_data import TensorData
from engine.tasks import DETECTION


def test_det_shapes_are_seeded_and_every_image_has_boxes_of_known_classes_inside_its_slots():
    images, boxes = generate_det_shapes(40, (32, 48), seed=3)
    again, same = generate_det_shapes(40, (32, 48), seed=3)
    assert torch.equal(images, again) and torch.equal(boxes, same)
    assert not torch.equal(boxes, generate_det_shapes(40, (32, 48), seed=4)[1])
    assert images.shape == (40, 3, 32, 48) and boxes.shape == (40, 4, 5)
    valid = boxes[..., 0] >= 0
    assert valid.any(1).all() and valid.float().mean() > 0.5
    assert set(boxes[valid][:, 0].long().tolist()) == set(range(len(CLASS_NAMES)))
    for slot in range(4):  # slot 0 top-left … slot 3 bottom-right: a shape never leaves its quarter
        rows = boxes[:, slot][valid[:, slot]]
        left, top = (slot % 2) / 2, (slot // 2) / 2
        assert (rows[:, 1] >= left).all() and (rows[:, 3] <= left + 0.5).all()
        assert (rows[:, 2] >= top).all() and (rows[:, 4] <= top + 0.5).all()
        assert (rows[:, 3] > rows[:, 1]).all() and (rows[:, 4] > rows[:, 2]).all()


def test_tight_boxes_are_the_smallest_boxes_around_the_true_pixels():
    inside = torch.zeros(1, 10, 20, dtype=torch.bool)
    inside[0, 2:5, 3:9] = True
    assert tight_boxes(inside)[0].tolist() == pytest.approx([3 / 20, 2 / 10, 9 / 20, 5 / 10])


def bright_rectangles(count: int, size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """Black images each with one white rectangle, and its box row."""
    g = torch.Generator().manual_seed(0)
    images, boxes = torch.zeros(count, 1, size, size), torch.full((count, 2, 5), -1.0)
    for i in range(count):
        x0, y0 = (int(v) for v in torch.randint(0, size // 2, (2,), generator=g))
        x1, y1 = x0 + 6 + int(torch.randint(0, size // 2 - 6, (1,), generator=g)), y0 + 8
        images[i, 0, y0:y1, x0:x1] = 1
        boxes[i, 0] = torch.tensor([1.0, x0 / size, y0 / size, x1 / size, y1 / size])
    return images, boxes


def test_paired_augmentation_moves_each_box_exactly_with_its_pixels_through_crop_and_flip():
    images, boxes = bright_rectangles(24)
    moved_images, moved = paired_boxes(Augment(crop_padding=3, flip=True, pad_mode="zeros"), images, boxes,
                                       torch.Generator().manual_seed(1))
    flipped = 0
    for image, rows, before in zip(moved_images, moved, boxes):
        assert rows[1, 0] == -1  # padding stays padding
        found = tight_boxes(image[0:1] > 0.5)[0]
        torch.testing.assert_close(rows[0, 1:], found)  # 6+ px wide, 8 tall, crop ≤ 3: always kept
        centre_shift = (rows[0, 1] + rows[0, 3] - before[0, 1] - before[0, 3]) / 2
        flipped += int(abs(float(centre_shift)) > 3 / 32)  # further than a crop moves: mirrored
    assert 0 < flipped < 24  # some flipped, some not


def test_a_box_the_crop_cuts_mostly_away_becomes_padding_and_a_cut_box_is_clipped():
    images = torch.zeros(2, 1, 16, 16)
    boxes = torch.tensor([[[0, 0.0, 0.0, 2 / 16, 1.0]], [[0, 0.0, 0.0, 8 / 16, 1.0]]])
    # A seed whose crop shifts both images 2 px left (dx = 4 of 0..4 with 2 px padding).
    seed = next(s for s in range(500) if crop_offsets(2, 2, torch.Generator().manual_seed(s))[1].tolist() == [4, 4])
    _, moved = paired_boxes(Augment(crop_padding=2, flip=False), images, boxes, torch.Generator().manual_seed(seed))
    assert moved[0, 0, 0] == -1  # 2 px wide, shifted 2 px left: nothing left
    assert moved[1, 0, 0] == 0  # 8 px wide, 6 px left: kept, clipped at the left edge
    assert moved[1, 0, [1, 3]].tolist() == pytest.approx([0.0, 6 / 16])  # (y moved by the random dy too)


def test_tensor_data_keeps_boxes_as_float_rows_and_augments_them_with_their_images():
    images, boxes = bright_rectangles(6)
    data = TensorData(images, boxes)
    assert data.is_boxes and data.labels.dtype == torch.float32
    (x, y), = data.iter_batches(6, augment=Augment(crop_padding=2, flip=True, pad_mode="zeros"),
                                generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(y[:, 0, 1:], tight_boxes(x[:, 0] > 0.5))
    with pytest.raises(ValueError, match="boxes \\(N, M, 5\\)"):
        TensorData(images, torch.zeros(6, 2, 4))


def test_det_shapes_loads_as_a_detection_split_and_is_the_detection_task_s_dataset():
    assert DETECTION.dataset_kinds == DETECTION_DATASET_NAMES
    info = dataset_info("det-shapes:300")
    assert info.target == "boxes" and info.class_names == CLASS_NAMES and info.num_samples == 300
    split = load_dataset("det-shapes:50", (3, 32, 32), val_fraction=0.2)
    assert split.target == "boxes" and (len(split.train), len(split.val)) == (40, 10)
    assert split.train.labels.shape == (40, 4, 5) and split.train.images.shape == (40, 3, 32, 32)
    with pytest.raises(DatasetError, match="det-shapes:1"):
        load_dataset("det-shapes:1", (3, 32, 32))


def test_zoom_moves_each_box_with_its_pixels_and_drops_a_box_zoomed_mostly_out():
    images, boxes = bright_rectangles(24)
    moved_images, moved = paired_boxes(Augment(crop_padding=0, flip=False, scale=0.8), images, boxes,
                                       torch.Generator().manual_seed(2))
    grown = 0
    for image, rows, before in zip(moved_images, moved, boxes):
        if rows[0, 0] < 0:  # zoomed more than half out of the window: padding now
            continue
        found = tight_boxes(image[0:1] > 0.5)[0]
        torch.testing.assert_close(rows[0, 1:], found, atol=1.01 / 32, rtol=0)  # the same box, to a pixel
        grown += int((rows[0, 3] - rows[0, 1]) > (before[0, 3] - before[0, 1]) * 1.1)
    assert grown >= 8  # it did zoom (up to 1.8×)
    # A box in a corner that a zoom about the opposite corner pushes out of the window is dropped.
    corner = torch.tensor([[[0.0, 0.0, 0.0, 0.1, 0.1]]])
    kept = [paired_boxes(Augment(crop_padding=0, scale=1.0), torch.zeros(1, 1, 16, 16), corner,
                         torch.Generator().manual_seed(seed))[1][0, 0, 0].item() for seed in range(40)]
    assert -1.0 in kept and 0.0 in kept


def test_quarter_turns_move_each_box_exactly_with_its_pixels():
    images, boxes = bright_rectangles(24)
    moved_images, moved = paired_boxes(Augment(crop_padding=0, turn=True), images, boxes,
                                       torch.Generator().manual_seed(2))
    tall = 0
    for image, rows in zip(moved_images, moved):
        assert rows[1, 0] == -1
        torch.testing.assert_close(rows[0, 1:], tight_boxes(image[0:1] > 0.5)[0])
        tall += int(rows[0, 4] - rows[0, 2] > rows[0, 3] - rows[0, 1])  # only the boxes turned 90° or 270°
    assert 0 < tall < 24
