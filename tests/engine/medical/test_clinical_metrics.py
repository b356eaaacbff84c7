"""Clinical metrics against torchmetrics and against their definitions, and what the CLI prints of them."""
from __future__ import annotations

import json

import pytest
import torch
from torchmetrics.functional.classification import (binary_auroc, binary_average_precision,
                                                    binary_calibration_error, multiclass_calibration_error)

from engine import Project, save_project
from engine.cli import main
from engine.tasks.clinical import ClinicalMetrics, clinical_metrics, reliability_bins

from .findings_data import findings_graph, write_nih
from .medical_writers import dicom_class_folder


def scores(count: int = 300, classes: int = 3, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    targets = (torch.rand(count, classes, generator=generator) < 0.3).long()
    probabilities = (targets * 0.35 + torch.rand(count, classes, generator=generator) * 0.65).clamp(0, 1)
    return probabilities, targets


def test_per_class_auc_ap_sensitivity_and_specificity_match_torchmetrics_and_their_definitions():
    probabilities, targets = scores()
    metrics = clinical_metrics(probabilities, targets, multiclass=False, target_sensitivity=0.9)
    for k in range(3):
        p, t = probabilities[:, k], targets[:, k]
        assert metrics["val_auc"][k] == pytest.approx(float(binary_auroc(p, t)), abs=1e-6)
        assert metrics["val_ap"][k] == pytest.approx(float(binary_average_precision(p, t)), abs=1e-6)
        predicted = p >= 0.5
        assert metrics["val_sensitivity"][k] == pytest.approx(float((predicted & t.bool()).sum() / t.sum()))
        assert metrics["val_specificity"][k] == pytest.approx(float((~predicted & ~t.bool()).sum() / (1 - t).sum()))
        # the operating point: sensitivity reaches the target, and no higher threshold does
        threshold = metrics["val_threshold"][k]
        assert metrics["val_sensitivity_at_threshold"][k] >= 0.9
        above = p[t.bool()][p[t.bool()] > threshold]
        assert above.numel() / t.sum() < 0.9
    assert metrics["val_mean_auc"] == pytest.approx(sum(metrics["val_auc"]) / 3)
    assert metrics["val_ece"] == pytest.approx(float(binary_calibration_error(probabilities.flatten(),
                                                                              targets.flatten(), n_bins=10)), abs=1e-6)


def test_the_reliability_bins_give_torchmetrics_ece_for_both_kinds():
    probabilities, targets = scores(seed=4)
    bins = reliability_bins(probabilities, targets)
    assert bins["ece"] == pytest.approx(float(binary_calibration_error(probabilities.flatten(), targets.flatten(),
                                                                       n_bins=10)), abs=1e-6)
    assert sum(bins["count"]) == probabilities.numel()
    softmax = torch.softmax(torch.randn(200, 4, generator=torch.Generator().manual_seed(1)) * 2, 1)
    labels = torch.randint(0, 4, (200,), generator=torch.Generator().manual_seed(2))
    metrics = clinical_metrics(softmax, torch.nn.functional.one_hot(labels, 4), multiclass=True)
    assert metrics["val_ece"] == pytest.approx(float(multiclass_calibration_error(softmax, labels, 4, n_bins=10)),
                                               abs=1e-6)
    top = reliability_bins(softmax.max(1).values, softmax.argmax(1) == labels)
    assert top["ece"] == pytest.approx(metrics["val_ece"], abs=1e-6)


def test_a_class_without_positives_has_no_auc_instead_of_a_made_up_one():
    probabilities, targets = scores()
    targets[:, 1] = 0
    accumulator = ClinicalMetrics(3, multiclass=False)
    accumulator.update(torch.logit(probabilities.clamp(1e-4, 1 - 1e-4)), targets.float())
    metrics = accumulator.compute()
    assert metrics["val_auc"][1] is None and metrics["val_sensitivity"][1] is None
    assert metrics["val_mean_auc"] == pytest.approx((metrics["val_auc"][0] + metrics["val_auc"][2]) / 2)


def test_cli_trains_a_dicom_classifier_at_a_lung_window_and_prints_the_operating_point(tmp_path, capsys):
    data = dicom_class_folder(tmp_path / "ct", per_class=6)
    project = save_project(Project(findings_graph(2, 16), "ct"), tmp_path / "ct.cnn.json")
    assert main(["train", str(project), "--dataset", str(data), "--epochs", "2", "--device", "cpu", "--window",
                 "lung", "--target-sensitivity", "0.8", "--out", str(tmp_path / "run"), "--json"]) == 0
    out = capsys.readouterr().out
    assert "high-bit-depth images read through lung window (centre -600, width 1500)" in out
    assert "operating point: the highest threshold reaching sensitivity 80%" in out
    assert "sens@80%" in out and "calibration: expected calibration error" in out
    assert json.loads(out.splitlines()[-1])["epochs"] == 2
    assert main(["train", str(project), "--dataset", str(data), "--window", "manual", "--window-width", "-5"]) == 2
    assert "bad window" in capsys.readouterr().err


def test_cli_predicts_findings_at_the_checkpoints_thresholds(tmp_path, capsys):
    table = write_nih(tmp_path / "nih", count=40)
    project = save_project(Project(findings_graph(), "f", task="multilabel"), tmp_path / "f.cnn.json")
    assert main(["train", str(project), "--dataset", str(table), "--epochs", "2", "--device", "cpu",
                 "--class-weights", "auto", "--out", str(tmp_path / "run")]) == 0
    assert "val mean ROC AUC" in capsys.readouterr().out
    image = tmp_path / "nih" / "images" / "00000001_000.png"
    assert main(["predict", str(tmp_path / "run" / "best.pt"), str(image), "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert [f["finding"] for f in result["findings"]] == ["Effusion", "Nodule"]
    assert all(0 <= f["probability"] <= 1 and isinstance(f["present"], bool) for f in result["findings"])
