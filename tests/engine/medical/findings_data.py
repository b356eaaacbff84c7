"""A small learnable multi-label set written as real PNG files and a CSV, NIH or CheXpert style."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from engine import Graph

FINDINGS = ("Effusion", "Nodule")


def finding_image(effusion: bool, nodule: bool, seed: int, size: int = 16) -> np.ndarray:
    """Grey noise; effusion: a bright band at the bottom; nodule: a bright 3×3 spot top-left."""
    rng = np.random.default_rng(seed)
    image = rng.normal(80, 15, (size, size))
    if effusion:
        image[-4:, :] += 120
    if nodule:
        image[2:5, 2:5] += 150
    return np.clip(image, 0, 255).astype(np.uint8)


def findings_rows(count: int, seed: int = 0, nodule_rate: float = 0.2) -> list[tuple[bool, bool]]:
    rng = np.random.default_rng(seed)
    return [(bool(rng.random() < 0.5), bool(rng.random() < nodule_rate)) for _ in range(count)]


def write_nih(root: Path, count: int = 60, seed: int = 0) -> Path:
    """images/NNNN.png and Data_Entry_2017.csv with NIH's columns (patient columns included)."""
    (root / "images").mkdir(parents=True, exist_ok=True)
    table = root / "Data_Entry_2017.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Image Index", "Finding Labels", "Follow-up #", "Patient ID", "Patient Age",
                         "Patient Gender"])
        for index, (effusion, nodule) in enumerate(findings_rows(count, seed)):
            name = f"{index:08d}_000.png"
            Image.fromarray(finding_image(effusion, nodule, index)).save(root / "images" / name)
            found = [f for f, on in zip(FINDINGS, (effusion, nodule)) if on]
            writer.writerow([name, "|".join(found) or "No Finding", 0, 40000 + index, 61, "M"])
    return table


def write_chexpert(root: Path, count: int = 20, seed: int = 1) -> Path:
    """CheXpert-v1.0-small/train/patientN/study1/view1_frontal.png and CheXpert-v1.0-small/train.csv."""
    base = root / "CheXpert-v1.0-small"
    table = base / "train.csv"
    base.mkdir(parents=True, exist_ok=True)
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Path", "Sex", "Age", "Frontal/Lateral", "AP/PA", "No Finding", *FINDINGS])
        for index, (effusion, nodule) in enumerate(findings_rows(count, seed)):
            relative = f"CheXpert-v1.0-small/train/patient{index:05d}/study1/view1_frontal.png"
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(finding_image(effusion, nodule, index)).save(root / relative)
            cells = ["1.0" if effusion else ("-1.0" if index % 7 == 0 else ""), "1.0" if nodule else "0.0"]
            writer.writerow([relative, "Female", 60 + index % 20, "Frontal", "AP",
                             "" if effusion or nodule else "1.0", *cells])
    return table


def findings_graph(findings: int = 2, size: int = 16) -> Graph:
    graph = Graph()
    ids = [graph.add_node(t, p).id for t, p in [
        ("input", {"channels": 1, "height": size, "width": size}),
        ("conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}), ("activation", {}),
        ("maxpool2d", {}), ("flatten", {}), ("dense", {"out_features": findings}), ("output", {})]]
    for src, dst in zip(ids, ids[1:]):
        graph.connect(src, dst)
    return graph
