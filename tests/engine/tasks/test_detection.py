"""Detection's head contract, target encoding, loss, decoding and mAP (real torch, tiny sizes)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from engine import analyze
from engine.tasks import DETECTION, task_for
from tests.engine.graphs import det_graph
from engine.tasks.detection_ops import (MISSING_BACKEND, DetectionLoss, DetectionMetrics, EncodedBoxes, _map_backend,
                                        decode_maps)

K = 3


def targets() -> torch.Tensor:
    """Two images: two boxes and one box, padded to three rows ([class, x0, y0, x1, y1], fractions)."""
    rows = torch.full((2, 3, 5), -1.0)
    rows[0, 0] = torch.tensor([0, 0.10, 0.10, 0.30, 0.40])
    rows[0, 1] = torch.tensor([2, 0.50, 0.50, 0.90, 0.80])
    rows[1, 0] = torch.tensor([1, 0.20, 0.60, 0.45, 0.95])
    return rows


def perfect_maps(rows: torch.Tensor, size: int = 16) -> torch.Tensor:
    """The head maps a perfect detector would give for ``rows``: the encoded targets themselves."""
    encoded = EncodedBoxes(rows, K, (size, size))
    maps = torch.full((rows.shape[0], K + 4, size, size), -9.0)
    maps[:, :K] = torch.logit(encoded.heat_maps().clamp(1e-4, 1 - 1e-4))
    where = (encoded.image, slice(None), encoded.cell[:, 1], encoded.cell[:, 0])
    maps[where[0], K:K + 2, where[2], where[3]] = encoded.size
    maps[where[0], K + 2:, where[2], where[3]] = encoded.offset
    return maps


def test_detection_is_a_task_with_boxes_as_targets():
    assert task_for("detection") is DETECTION
    assert DETECTION.target_kind == "boxes" and DETECTION.score_name == "val_map50"
    assert DETECTION.classes_of_output((K + 4, 8, 8)) == K
    assert DETECTION.classes_of_output((10,)) is None


def test_a_head_at_an_integer_stride_fits_and_each_wrong_head_is_named_on_the_output_card_with_its_fix():
    assert analyze(det_graph(), task="detection").valid
    cases = [(det_graph(channels=4), "gives 4 channels", "classes + 4"),
             (det_graph(size=30), "the head maps are 8×8 but the input is 30×30", "fixed fraction")]
    for graph, message, hint in cases:
        (issue,) = analyze(graph, task="detection").errors
        assert issue.node_id == graph.nodes_of_type("output")[0].id
        assert message in issue.message and hint in issue.hint
    flat = DETECTION.check_output((10,), (3, 32, 32), "fc")
    assert "flat vector" in flat.message and "1×1 Conv2d" in flat.hint


def test_encoding_puts_a_peak_of_one_at_each_centre_and_decoding_recovers_the_boxes():
    rows = targets()
    heat = EncodedBoxes(rows, K, (16, 16)).heat_maps()
    assert heat.shape == (2, K, 16, 16)
    assert int(heat.eq(1).sum()) == 3  # one centre per box, in its class's map
    assert float(heat[0, 1].max()) == 0.0  # no class-1 box in image 0
    decoded = decode_maps(perfect_maps(rows))
    for image, found in enumerate(decoded):
        truth = rows[image][rows[image, :, 0] >= 0]
        order = found["labels"].argsort()
        assert torch.equal(found["labels"][order], truth[:, 0].long().sort().values)
        torch.testing.assert_close(found["boxes"][order], truth[truth[:, 0].argsort()][:, 1:], atol=1e-5, rtol=0)


def test_decoding_keeps_one_box_of_overlapping_peaks_of_a_class_by_nms():
    maps = torch.full((1, K + 4, 16, 16), -9.0)
    maps[0, 0, 5, 5], maps[0, 0, 5, 7] = 5.0, 4.0  # two peaks 2 cells apart, same class, 10-cell boxes: IoU 2/3
    maps[0, K:K + 2] = 10.0
    maps[0, K + 2:] = 0.5
    (found,) = decode_maps(maps)
    assert found["labels"].tolist() == [0] and found["scores"].shape == (1,)
    maps[0, 1, 5, 7] = 4.0  # another class at the second peak: NMS is per class, both stay
    maps[0, 0, 5, 7] = -9.0
    assert sorted(decode_maps(maps)[0]["labels"].tolist()) == [0, 1]


def test_the_loss_is_small_for_perfect_maps_large_for_blank_ones_and_handles_a_batch_without_boxes():
    rows, loss = targets(), DetectionLoss(K)
    assert float(loss(perfect_maps(rows), rows)) < 0.05
    assert float(loss(torch.zeros(2, K + 4, 16, 16), rows)) > 10
    assert set(loss.parts) == {"heat", "size", "offset", "giou"}
    empty = torch.full((2, 1, 5), -1.0)
    blank = torch.zeros(2, K + 4, 16, 16, requires_grad=True)
    value = loss(blank, empty)
    value.backward()  # only the heat maps get gradients; no NaN from the empty box terms
    assert torch.isfinite(blank.grad).all() and float(blank.grad[:, K:].abs().sum()) == 0


def test_a_short_training_run_on_one_batch_lowers_the_loss():
    torch.manual_seed(0)
    rows = targets()
    images = torch.rand(2, 3, 32, 32)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 16, 3, 2, 1), nn.ReLU(),
                          nn.Conv2d(16, K + 4, 1))
    criterion, optimizer = DetectionLoss(K), torch.optim.Adam(model.parameters(), lr=1e-2)
    first = criterion(model(images), rows).item()
    for _ in range(60):
        optimizer.zero_grad()
        criterion(model(images), rows).backward()
        optimizer.step()
    assert criterion(model(images), rows).item() < first / 4


def test_centre_recall_counts_the_boxes_whose_class_map_fires_at_their_centre():
    rows = targets()
    maps = perfect_maps(rows, size=8)
    assert [int(v) for v in DETECTION.correct_and_count(maps, rows)] == [3, 3]
    maps[:, :K] = -5.0
    assert [int(v) for v in DETECTION.correct_and_count(maps, rows)] == [0, 3]


def test_map_of_perfect_predictions_is_one_when_a_coco_backend_is_installed_else_none_with_the_fix():
    rows = targets()
    metrics = DetectionMetrics(K, "cpu")
    metrics.update(perfect_maps(rows), rows)
    result = metrics.compute()
    if _map_backend() is None:
        assert result == {"val_map50": None, "val_map": None, "val_ap": None}
        assert metrics.missing == MISSING_BACKEND and "faster-coco-eval" in MISSING_BACKEND
    else:
        assert result["val_map50"] == pytest.approx(1.0) and result["val_map"] == pytest.approx(1.0)
        assert result["val_ap"] == [pytest.approx(1.0)] * K


def test_a_fresh_detector_starts_its_heat_maps_at_the_focal_prior_and_leaves_the_box_channels():
    from engine import compile_graph

    graph = det_graph()
    model = compile_graph(graph, analyze(graph, task="detection"))
    head = [module for module in model.modules() if isinstance(module, nn.Conv2d)][-1]
    box_bias = head.bias[K:].detach().clone()
    DETECTION.prepare_model(model)
    assert head.bias[:K].tolist() == pytest.approx([-2.19] * K)
    assert torch.equal(head.bias[K:], box_bias)
    with torch.no_grad():
        assert float(model(torch.zeros(1, 3, 32, 32))[:, :K].sigmoid().mean()) < 0.3
