"""Detection's torch parts: target encoding, loss, decoding and mAP (see ``detection`` for the layout).

Target encoding follows CenterNet (Zhou et al., "Objects as Points", 2019): each box puts a Gaussian
peak of height 1 at its centre cell in its class's heat map (σ = 0.54·size/6 as in TTFNet, at least
half a cell), and its width, height and sub-cell offset are regressed at that cell only. IoU, GIoU
and NMS come from torchvision.ops and mAP from torchmetrics; nothing of them is written here.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import batched_nms, generalized_box_iou_loss

from .base import TaskMetrics
from .detection import BOX_CHANNELS

GAUSSIAN_SCALE = 0.54 / 6
MIN_SIGMA = 0.5  # cells: a small box still gets a peak its neighbours can learn from
PROBABILITY_FLOOR = 1e-4
SIZE_WEIGHT, OFFSET_WEIGHT, GIOU_WEIGHT = 0.1, 1.0, 1.0  # CenterNet's size and offset weights; GIoU at 1
METRIC_SCALE = 512.0
"""Boxes go to the COCO evaluator in units of 1/512 of the image: its area ranges are in pixels, and
fractions (areas < 1) would all count as "small". IoU, and so mAP, does not change with the scale."""


class EncodedBoxes:
    """The boxes of a batch, located on head maps of ``size`` (h, w): which image, class and cell each
    belongs to, its exact centre offset and size in cells, and the batch's heat-map targets."""

    def __init__(self, targets: torch.Tensor, num_classes: int, size: tuple[int, int]) -> None:
        height, width = size
        image, row = torch.nonzero(targets[..., 0] >= 0, as_tuple=True)
        picked = targets[image, row].float()
        self.image, self.label = image, picked[:, 0].long()
        scale = torch.tensor([width, height, width, height], dtype=torch.float32, device=targets.device)
        self.boxes = picked[:, 1:] * scale  # in cells
        centre = (self.boxes[:, :2] + self.boxes[:, 2:]) / 2
        self.size = self.boxes[:, 2:] - self.boxes[:, :2]
        limit = torch.tensor([width - 1, height - 1], device=targets.device)
        self.cell = torch.minimum(centre.floor().clamp(min=0), limit).long()  # (B, 2): x, y
        self.offset = centre - self.cell
        self.num_images, self.num_classes, self.map_size = targets.shape[0], num_classes, (height, width)

    def __len__(self) -> int:
        return self.label.shape[0]

    def heat_maps(self) -> torch.Tensor:
        """(N, K, h, w) targets: at each cell the highest Gaussian of the boxes of that class, 1 at centres."""
        height, width = self.map_size
        device = self.boxes.device
        sigma = (self.size * GAUSSIAN_SCALE).clamp(min=MIN_SIGMA)
        xs = torch.arange(width, device=device, dtype=torch.float32).view(1, 1, width)
        ys = torch.arange(height, device=device, dtype=torch.float32).view(1, height, 1)
        dx = (xs - self.cell[:, 0].view(-1, 1, 1)) / sigma[:, 0].view(-1, 1, 1)
        dy = (ys - self.cell[:, 1].view(-1, 1, 1)) / sigma[:, 1].view(-1, 1, 1)
        peaks = torch.exp(-(dx ** 2 + dy ** 2) / 2)
        peaks = peaks * (peaks >= PROBABILITY_FLOOR)  # far tails are 0, not denormal floats (slow on CPUs)
        heat = torch.zeros(self.num_images * self.num_classes, height * width, device=device)
        rows = (self.image * self.num_classes + self.label).view(-1, 1).expand(-1, height * width)
        heat.scatter_reduce_(0, rows, peaks.view(-1, height * width), "amax")
        return heat.view(self.num_images, self.num_classes, height, width)

    def at_centres(self, maps: torch.Tensor) -> torch.Tensor:
        """The head's values (B, C) at each box's centre cell."""
        return maps[self.image, :, self.cell[:, 1], self.cell[:, 0]]


def centre_focal_loss(logits: torch.Tensor, heat: torch.Tensor) -> torch.Tensor:
    """CenterNet's penalty-reduced focal loss (α = 2, β = 4), summed and divided by the number of centres.

    Not ``torchvision.ops.sigmoid_focal_loss``: that one treats the Gaussian's soft values as targets to
    reach, while here cells near a centre are only penalised less, by (1 − heat)⁴, for firing."""
    centres = heat.eq(1).float()
    # Clamped as CenterNet does: a sigmoid of -50 squared is a denormal float, and the CPU slows down
    # many times over once confident heat maps are full of them.
    p = logits.sigmoid().clamp(PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    positive = p.log() * (1 - p) ** 2 * centres
    negative = (1 - p).log() * p ** 2 * (1 - heat) ** 4 * (1 - centres)
    return -(positive.sum() + negative.sum()) / centres.sum().clamp(min=1)


class DetectionLoss(nn.Module):
    """Heat-map focal loss + L1 on size (×0.1) and offset + GIoU of the decoded box, at the centre cells.

    ``parts`` holds the last batch's terms (floats are read only when asked), for the loss curves;
    ``take_part_means`` gives the mean heat-map and box parts of the batches since it was last called (they
    sum to the mean loss), for the per-epoch curves of the loss parts."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.parts: dict[str, torch.Tensor] = {}
        self._part_sums: list[torch.Tensor] = []  # per batch [heat × images, loss × images, images], on the device

    def take_part_means(self) -> dict[str, float]:
        """``{"loss_heatmap", "loss_box"}`` averaged over the images since the last call (one host sync), or {}."""
        batches, self._part_sums = self._part_sums, []
        if not batches:
            return {}
        heat, total, images = torch.stack(batches).sum(0).tolist()
        return {"loss_heatmap": heat / images, "loss_box": (total - heat) / images}

    def _remember(self, heat: torch.Tensor, loss: torch.Tensor, images: int) -> torch.Tensor:
        # A list of small tensors, not a running sum: validation runs in inference mode, training outside it.
        self._part_sums.append(torch.stack([heat.detach(), loss.detach(), heat.new_tensor(1.0)]).double() * images)
        return loss

    def forward(self, maps: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        maps = maps.float()
        k = self.num_classes
        encoded = EncodedBoxes(targets, k, tuple(maps.shape[-2:]))
        heat = centre_focal_loss(maps[:, :k], encoded.heat_maps())
        if len(encoded) == 0:  # no boxes in the batch: only the heat maps learn (to stay dark)
            zero = maps.sum() * 0
            self.parts = {"heat": heat.detach(), "size": zero.detach(), "offset": zero.detach(), "giou": zero.detach()}
            return self._remember(heat, heat + zero, targets.shape[0])
        head = encoded.at_centres(maps)[:, k:k + BOX_CHANNELS]
        size, offset = head[:, :2], head[:, 2:]
        size_loss = F.l1_loss(size, encoded.size)
        offset_loss = F.l1_loss(offset, encoded.offset)
        centre = encoded.cell + offset
        half = size.clamp(min=0) / 2
        giou = generalized_box_iou_loss(torch.cat([centre - half, centre + half], 1), encoded.boxes, reduction="mean")
        self.parts = {"heat": heat.detach(), "size": size_loss.detach(), "offset": offset_loss.detach(),
                      "giou": giou.detach()}
        loss = heat + SIZE_WEIGHT * size_loss + OFFSET_WEIGHT * offset_loss + GIOU_WEIGHT * giou
        return self._remember(heat, loss, targets.shape[0])


def centre_hits(maps: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """How many boxes the heat map of their class finds at their centre cell (logit ≥ 0), and how many boxes."""
    num_classes = maps.shape[1] - BOX_CHANNELS
    encoded = EncodedBoxes(targets, num_classes, tuple(maps.shape[-2:]))
    found = maps[encoded.image, encoded.label, encoded.cell[:, 1], encoded.cell[:, 0]] >= 0
    return found.sum(), torch.tensor(len(encoded), device=maps.device)


def decode_maps(maps: torch.Tensor, *, score_threshold: float = 0.3, max_detections: int = 100,
                iou_threshold: float = 0.5) -> list[dict[str, torch.Tensor]]:
    """Head maps (N, K+4, h, w) → per image ``{"boxes" (B, 4) x0 y0 x1 y1 as fractions of the image,
    "scores" (B,), "labels" (B,)}``: heat-map peaks (a cell at least as high as its 3×3 neighbours), the box
    regressed there, then ``torchvision.ops.batched_nms`` per class, best score first."""
    maps = maps.detach().float()
    n, channels, height, width = maps.shape
    k = channels - BOX_CHANNELS
    heat = maps[:, :k].sigmoid()
    peaks = heat * (F.max_pool2d(heat, 3, stride=1, padding=1) == heat)
    scores, index = peaks.flatten(1).topk(min(max_detections, k * height * width), dim=1)
    labels, cell = index // (height * width), index % (height * width)
    head = maps[:, k:].flatten(2).gather(2, cell.unsqueeze(1).expand(n, BOX_CHANNELS, -1))  # (N, 4, D)
    grid = torch.tensor([width, height], device=maps.device, dtype=torch.float32).view(1, 2, 1)
    centre = (torch.stack([cell % width, cell // width], 1) + head[:, 2:]) / grid
    half = head[:, :2].clamp(min=0) / grid / 2
    boxes = torch.cat([centre - half, centre + half], 1).clamp(0, 1).transpose(1, 2)  # (N, D, 4)
    results = []
    for image in range(n):
        keep = scores[image] >= score_threshold
        b, s, c = boxes[image][keep], scores[image][keep], labels[image][keep]
        kept = batched_nms(b, s, c, iou_threshold)
        results.append({"boxes": b[kept], "scores": s[kept], "labels": c[kept]})
    return results


def box_targets(targets: torch.Tensor) -> list[dict[str, torch.Tensor]]:
    """Padded targets (N, M, 5) → per image ``{"boxes" (B, 4), "labels" (B,)}`` (padding rows dropped)."""
    results = []
    for rows in targets:
        rows = rows[rows[:, 0] >= 0]
        results.append({"boxes": rows[:, 1:].float(), "labels": rows[:, 0].long()})
    return results


def _map_backend() -> str | None:
    """The COCO evaluator torchmetrics' MeanAveragePrecision can use here, or None when neither is installed."""
    from importlib.util import find_spec

    for module, backend in (("faster_coco_eval", "faster_coco_eval"), ("pycocotools", "pycocotools")):
        if find_spec(module) is not None:
            return backend
    return None


MISSING_BACKEND = ("mAP needs a COCO evaluator: install faster-coco-eval (pip install faster-coco-eval) or "
                   "pycocotools; until then detection reports losses and centre recall only")


class DetectionMetrics(TaskMetrics):
    """mAP@0.5, mAP@[.5:.95] and per-class AP from torchmetrics' MeanAveragePrecision (its COCO backend).

    Without a backend installed, ``compute`` gives None for each and ``missing`` says what to install."""

    def __init__(self, num_classes: int, device) -> None:
        self.num_classes = num_classes
        backend = _map_backend()
        self.missing = None if backend else MISSING_BACKEND
        self.metric = None
        if backend:
            from torchmetrics.detection import MeanAveragePrecision

            # extended_summary: the evaluator's precision at each recall, for the precision–recall plot.
            self.metric = MeanAveragePrecision(box_format="xyxy", iou_type="bbox", class_metrics=True,
                                               backend=backend, extended_summary=True)

    def update(self, logits, targets) -> None:
        if self.metric is None:
            return
        predictions = decode_maps(logits, score_threshold=0.01)
        truths = box_targets(targets)
        for entry in (*predictions, *truths):  # evaluated on the CPU: the COCO backends are host code
            for key in entry:
                entry[key] = entry[key].cpu()
            entry["boxes"] = entry["boxes"] * METRIC_SCALE
        self.metric.update(predictions, truths)

    def compute(self) -> dict[str, Any]:
        if self.metric is None:
            return {"val_map50": None, "val_map": None, "val_ap": None, "val_pr": None}
        result = self.metric.compute()
        per_class = [None] * self.num_classes
        classes = result.get("classes")
        values = result.get("map_per_class")
        if classes is not None and values is not None and values.dim() == 1:
            for label, value in zip(classes.tolist(), values.tolist()):
                if 0 <= label < self.num_classes and value >= 0:
                    per_class[label] = value
        return {"val_map50": float(result["map_50"]), "val_map": float(result["map"]), "val_ap": per_class,
                "val_pr": self._precision_at_recalls(result, classes)}

    def _precision_at_recalls(self, result: dict, classes) -> list[list[float] | None]:
        """Each class's precision at the COCO recall steps (``PR_RECALLS``), at IoU 0.5 over all box sizes and
        up to 100 boxes an image, as the evaluator interpolates it; None for a class never seen."""
        curves: list[list[float] | None] = [None] * self.num_classes
        precision = result.get("precision")  # (IoU thresholds, recalls, classes, areas, max detections)
        if precision is None or classes is None or precision.dim() != 5:
            return curves
        for column, label in enumerate(classes.reshape(-1).tolist()):
            values = precision[0, :, column, 0, -1]
            if 0 <= label < self.num_classes and column < precision.shape[2] and bool((values >= 0).all()):
                curves[label] = values.tolist()
        return curves


PR_RECALLS = tuple(step / 100 for step in range(101))
"""The recall steps of ``val_pr``'s precisions (the COCO evaluator's 101 recall thresholds)."""
