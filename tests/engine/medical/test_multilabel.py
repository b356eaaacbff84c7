"""Multi-label classification: findings tables, BCE with finding weights, training and its metrics."""
from __future__ import annotations

import pytest
import torch

from engine import Project, TrainingConfig
from engine.data import DatasetError, dataset_info, load_dataset
from engine.tasks import task_for
from engine.tasks.multilabel import auto_positive_weights
from engine.training import Trainer, TrainingError

from .findings_data import FINDINGS, findings_graph, write_chexpert, write_nih


def test_an_nih_table_reads_findings_joined_by_bars_and_ignores_patient_columns(tmp_path):
    table = write_nih(tmp_path / "nih", count=30)
    info = dataset_info(str(table))
    assert info.class_names == FINDINGS and info.target == "findings" and info.num_samples == 30
    split = load_dataset(str(table), (1, 16, 16), val_fraction=0.3)
    assert split.class_names == list(FINDINGS) and split.target == "findings"
    assert split.train.labels.dtype == torch.float32 and split.train.labels.shape[1] == 2
    assert len(split.train) + len(split.val) == 30


def test_a_chexpert_table_counts_uncertain_as_absent_and_drops_no_finding(tmp_path):
    table = write_chexpert(tmp_path, count=21)
    split = load_dataset(str(table), (1, 16, 16), val_fraction=0.3)
    assert split.class_names == list(FINDINGS)  # not Sex, Age, AP/PA nor No Finding
    assert any("uncertain (-1) finding(s) as absent" in note for note in split.notes)


def test_rows_whose_image_is_missing_or_broken_are_skipped_and_counted(tmp_path):
    table = write_nih(tmp_path / "nih", count=12)
    (tmp_path / "nih" / "images" / "00000003_000.png").unlink()
    (tmp_path / "nih" / "images" / "00000004_000.png").write_bytes(b"not a png")
    split = load_dataset(str(table), (1, 16, 16))
    notes = " ".join(split.notes)
    assert "skipped 1 of 12 row(s) whose image was not found: 00000003_000.png" in notes
    assert "skipped 1 unreadable image(s): 00000004_000.png" in notes
    assert len(split.train) + len(split.val) == 10


@pytest.mark.parametrize("content, words", [("just one line\n", "header row"),
                                            ("Image Index,Finding Labels\na.png,No Finding\nb.png,\n", "no findings"),
                                            ("Image,Age\na.png,61\nb.png,70\n", "found no findings")])
def test_tables_without_findings_say_what_to_write(tmp_path, content, words):
    table = tmp_path / "t.csv"
    table.write_text(content)
    with pytest.raises(DatasetError, match=words):
        load_dataset(str(table), (1, 16, 16))


def test_the_loss_is_bce_with_each_findings_weight():
    task = task_for("multilabel")
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.3]])
    targets = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    weighted = task.loss(num_classes=2, class_weights=[1.0, 4.0])(logits, targets)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, pos_weight=torch.tensor([1.0, 4.0]))
    assert weighted.item() == pytest.approx(expected.item())
    assert weighted.item() > task.loss(num_classes=2)(logits, targets).item()  # the missed rare positive weighs more
    assert auto_positive_weights(torch.tensor([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])) == [1.0, 3.0]
    assert task.decode(logits).tolist() == [[True, False], [True, True]]


def test_training_on_a_findings_table_learns_and_reports_clinical_metrics(tmp_path):
    table = write_nih(tmp_path / "nih", count=120)
    config = TrainingConfig(dataset=str(table), epochs=8, batch_size=16, lr=0.01, seed=0, device="cpu",
                            class_weights="auto", target_sensitivity=0.95)
    result = Trainer(Project(findings_graph(), "findings", training=config, task="multilabel"), config,
                     out=tmp_path / "run").fit()
    metrics = result.metrics
    assert metrics["best_metric"] == "val_mean_auc" and metrics["val_mean_auc"] > 0.8
    assert len(metrics["val_auc"]) == len(metrics["val_threshold"]) == 2
    reached = [s for s in metrics["val_sensitivity_at_threshold"] if s is not None]
    assert reached and all(s >= 0.95 for s in reached)
    assert sum(metrics["val_reliability"]["count"]) == 2 * 24  # every (validation image, finding) pair
    assert any(note.startswith("finding weights (auto") for note in result.notes)
    assert "val_mean_auc" in result.history[-1] and "val_reliability" not in result.history[-1]


def test_weights_of_the_wrong_length_are_refused_with_the_findings_named(tmp_path):
    table = write_nih(tmp_path / "nih", count=12)
    config = TrainingConfig(dataset=str(table), epochs=1, batch_size=8, device="cpu", class_weights="1,2,3")
    with pytest.raises(TrainingError, match="3 numbers but the dataset has 2 findings \\(Effusion, Nodule\\)"):
        Trainer(Project(findings_graph(), "findings", training=config, task="multilabel"), config).fit()


def test_a_findings_table_under_the_classification_task_says_to_change_the_task(tmp_path):
    from engine.training.fit_check import fit_problems

    table = write_nih(tmp_path / "nih", count=12)
    (problem,) = fit_problems(findings_graph(), dataset_info(str(table)), "classification")
    assert "is for multilabel" in problem
