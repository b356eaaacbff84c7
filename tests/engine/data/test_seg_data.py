"""Segmentation data: the bundled seg-shapes set, masks that move with their images, images-only normalisation."""
from __future__ import annotations

import pytest
import torch

from engine.data import Augment, DatasetError, dataset_info, load_dataset
from engine.data.mask_split import MaskedImages, build_mask_split, resize_masks
from engine.data.seg_shapes import CLASS_NAMES, COLOUR_BAND, MIN_COLOUR_STEP, generate_seg_shapes, shape_colours


def test_seg_shapes_is_seeded_and_labels_every_pixel_with_a_known_class():
    images, masks = generate_seg_shapes(12, (24, 20), seed=3)
    again, same = generate_seg_shapes(12, (24, 20), seed=3)
    assert torch.equal(images, again) and torch.equal(masks, same)
    assert images.shape == (12, 3, 24, 20) and masks.shape == (12, 24, 20) and masks.dtype == torch.int64
    assert set(masks.unique().tolist()) <= set(range(len(CLASS_NAMES))) and (masks > 0).any() and (masks == 0).any()
    assert not torch.equal(generate_seg_shapes(12, (24, 20), seed=4)[1], masks)


def test_seg_shapes_loads_as_a_mask_split_at_the_input_size():
    info = dataset_info("seg-shapes:40")
    assert info.target == "mask" and info.class_names == CLASS_NAMES and info.num_samples == 40
    data = load_dataset("seg-shapes:40", (1, 16, 16), val_fraction=0.25)
    assert data.target == "mask" and (len(data.train), len(data.val)) == (30, 10)
    images, masks = next(data.val.iter_batches(4))
    assert images.shape == (4, 1, 16, 16) and masks.shape == (4, 16, 16) and masks.dtype == torch.int64
    with pytest.raises(DatasetError, match="'seg-shapes:1' asks for an impossible number"):
        load_dataset("seg-shapes:1", (3, 8, 8))


def test_augmentation_moves_the_mask_exactly_with_the_image():
    generator = torch.Generator().manual_seed(0)
    masks = torch.randint(0, 4, (16, 12, 12))
    # The image's first channel *is* the mask: after any crop, zoom or flip they must still agree.
    images = torch.stack([masks.float(), torch.rand(16, 12, 12)], dim=1)
    moved_images, moved_masks = Augment(crop_padding=3, flip=True, scale=0.5).paired(images, masks, generator)
    assert moved_masks.dtype == torch.int64 and moved_masks.shape == masks.shape
    assert not torch.equal(moved_masks, masks)  # it did move
    nearest = Augment(crop_padding=3, flip=True)  # bilinear zoom blends the image: check crop and flip exactly
    moved_images, moved_masks = nearest.paired(images, masks, torch.Generator().manual_seed(1))
    assert torch.equal(moved_images[:, 0], moved_masks.float())


def test_zoom_keeps_image_and_mask_aligned_within_interpolation():
    masks = torch.zeros(4, 32, 32, dtype=torch.int64)
    masks[:, 8:24, 8:24] = 1
    images = masks.unsqueeze(1).float()
    zoomed, zoomed_masks = Augment(crop_padding=0, scale=0.5).paired(images, masks, torch.Generator().manual_seed(2))
    disagree = ((zoomed[:, 0] > 0.5).long() != zoomed_masks).float().mean()
    assert disagree < 0.03


def test_normalisation_touches_images_only_and_masks_resize_nearest():
    images = torch.rand(6, 3, 8, 8)
    masks = torch.randint(0, 3, (6, 8, 8))
    data = build_mask_split(MaskedImages(images[:4], masks[:4]), MaskedImages(images[4:], masks[4:]),
                            input_shape=(3, 16, 16), class_names=("a", "b", "c"), source="test")
    _, train_masks = next(data.train.iter_batches(4))
    assert torch.equal(train_masks, resize_masks(masks[:4], (16, 16)))
    assert set(train_masks.unique().tolist()) <= {0, 1, 2}
    assert abs(float(data.train.images.mean())) < 1e-4  # normalised with the training statistics
    with pytest.raises(DatasetError, match="hold class 7, but there are only 3 classes"):
        bad = masks.clone()
        bad[0, 0, 0] = 7
        build_mask_split(MaskedImages(images[:4], bad[:4]), MaskedImages(images[4:], masks[4:]),
                         input_shape=(3, 8, 8), class_names=("a", "b", "c"), source="test")


def _steps_across_shape_boundaries(images: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Per image with a boundary between two shapes' masks: the median, over the pixel pairs two apart
    that straddle it, of the largest channel's colour step (the middle pixel, anti-aliased, is skipped)."""
    medians = []
    for image, mask in zip(images, masks):
        steps = []
        for dim in (1, 2):  # rows, then columns
            first, second = mask.narrow(dim - 1, 0, mask.shape[dim - 1] - 2), mask.narrow(dim - 1, 2,
                                                                                         mask.shape[dim - 1] - 2)
            straddle = (first > 0) & (second > 0) & (first != second)
            step = (image.narrow(dim, 0, image.shape[dim] - 2) - image.narrow(dim, 2, image.shape[dim] - 2))
            steps.append(step.abs().amax(0)[straddle])
        steps = torch.cat(steps)
        if steps.numel() >= 4:
            medians.append(steps.median())
    return torch.stack(medians)


def test_a_shape_drawn_over_another_keeps_a_visible_outline():
    # Both shapes' colours come from the same band (dark on a bright background, bright on a dark one); drawn
    # independently, the top shape was often the colour of the one under it: invisible, yet its mask claimed
    # its pixels (the triangle, the smallest, suffered most). A step well above the noise (0.04) must show.
    images, masks = generate_seg_shapes(400, (32, 32), seed=0)
    steps = _steps_across_shape_boundaries(images, masks)
    assert steps.numel() > 100
    assert float(steps.quantile(0.05)) > 0.11


def test_each_later_shape_colour_steps_away_from_the_one_before_in_every_channel():
    band_low = torch.tensor([0.0, 1.0 - COLOUR_BAND]).view(2, 1, 1, 1).repeat(500, 1, 1, 1)
    first = shape_colours(band_low, None, torch.rand(1000, 3, 1, 1))
    second = shape_colours(band_low, first, torch.rand(1000, 3, 1, 1))
    for colour in (first, second):  # inside the band, away from the background
        assert bool(((colour >= band_low) & (colour <= band_low + COLOUR_BAND)).all())
    assert float((second - first).abs().min()) >= MIN_COLOUR_STEP - 1e-6
    # the band's ends are reached, not just its middle: the colours stay as varied as before
    assert float((second - band_low).min()) < 0.02 and float((second - band_low).max()) > COLOUR_BAND - 0.02


def test_quarter_turns_move_the_mask_exactly_with_the_image_through_all_eight_symmetries():
    masks = torch.zeros(64, 12, 12, dtype=torch.int64)
    masks[:, 1:4, 2:9] = 1  # an asymmetric mark: each of the 8 symmetries of the square puts it elsewhere
    masks[:, 5, 1] = 2
    images = torch.stack([masks.float(), torch.rand(64, 12, 12)], dim=1)
    moved_images, moved_masks = Augment(crop_padding=0, flip=True, turn=True).paired(
        images, masks, torch.Generator().manual_seed(0))
    assert torch.equal(moved_images[:, 0], moved_masks.float())
    symmetries = [masks[0].rot90(k, (0, 1)) for k in range(4)]
    symmetries += [mask.flip(-1) for mask in symmetries]
    seen = {next(i for i, s in enumerate(symmetries) if torch.equal(mask, s)) for mask in moved_masks}
    assert seen == set(range(8))  # each moved mask is one of them, and every one of them turned up


def test_quarter_turns_refuse_a_non_square_batch_and_a_training_run_says_how_to_fix_it():
    from engine import Project, TrainingConfig
    from engine.training import Trainer, TrainingError
    from tests.engine.graphs import seg_graph

    with pytest.raises(ValueError, match="quarter turns need square images, not 8×12"):
        Augment(crop_padding=0, turn=True)(torch.zeros(2, 1, 8, 12))
    graph = seg_graph(classes=4)
    next(iter(graph.nodes_of_type("input"))).params["width"] = 24
    config = TrainingConfig(dataset="seg-shapes:40", epochs=1, batch_size=8, device="cpu", augment_turn=True)
    with pytest.raises(TrainingError, match="random turns need a square Input but it takes 16×24 images"):
        Trainer(Project(graph, task="segmentation", training=config)).fit()
