"""Training the embedding task: the losses reach the optimiser (ArcFace's centres too), validation reports
verification and identification, and ``convcanvas train`` prints them."""
from __future__ import annotations

import json

import pytest
import torch

from engine import Project, TrainingConfig, save_project
from engine.checkpoint import load_checkpoint
from engine.cli import main
from engine.training import Trainer
from tests.engine.tasks.test_embedding import embedder


def config(**changes) -> TrainingConfig:
    return TrainingConfig(**{"dataset": "face-shapes:120", "epochs": 1, "batch_size": 32, "lr": 0.003,
                             "device": "cpu", **changes})


def test_arcface_centres_are_trained_by_the_optimiser_with_the_network(tmp_path):
    project = Project(embedder(), "Faces", training=config(metric_loss="arcface"), task="embedding")
    result = Trainer(project, out=tmp_path / "run").fit()
    checkpoint = load_checkpoint(tmp_path / "run" / "last.pt")
    (group,) = checkpoint.optimizer_state["param_groups"]
    network = sum(1 for _ in result.model.parameters())
    assert len(group["params"]) == network + 1  # the network's tensors and ArcFace's W
    centres = checkpoint.optimizer_state["state"][group["params"][-1]]
    assert centres["exp_avg"].shape == (8, 12) and centres["exp_avg"].abs().sum() > 0
    assert result.metrics["val_auc"] is not None and 0.0 <= result.metrics["val_auc"] <= 1.0


def test_validation_reports_verification_and_identification_and_the_history_keeps_the_scalars():
    seen = {}

    class Remember:
        def __getattr__(self, name):
            return lambda *args: seen.setdefault(name, args)

    project = Project(embedder(), "Faces", training=config(), task="embedding")
    result = Trainer(project, callbacks=[Remember()]).fit()
    metrics = seen["on_validation_end"][1]
    for key in ("val_auc", "val_eer", "val_tar_at_far", "val_threshold", "val_top1"):
        assert isinstance(metrics[key], float), key
    assert metrics["val_top5"] is None  # 2 validation identities: top-5 would be 1 by construction
    assert len(metrics["val_roc"]["fpr"]) == len(metrics["val_roc"]["tpr"]) >= 2
    assert len(metrics["val_points"]) == 20 and len(set(metrics["val_point_labels"])) == 2
    entry = result.history[-1]
    assert entry["val_auc"] == metrics["val_auc"] and "val_roc" not in entry and "val_points" not in entry
    assert result.metrics["best_metric"] == "val_auc" and result.best_val_accuracy == metrics["val_auc"]


def test_a_classification_dataset_is_refused_for_the_embedding_task_with_the_fix():
    from engine.training import TrainingError
    from engine.training.errors import FitError

    project = Project(embedder(), "Faces", training=config(dataset="shapes"), task="embedding")
    expected = r"is for classification but the project's task is embedding: pick an embedding dataset \(face-shapes, lfw\)"
    with pytest.raises((FitError, TrainingError), match=expected):
        Trainer(project).fit()


@pytest.fixture
def face_project(tmp_path):
    project = Project(embedder(), "Faces", training=config(), task="embedding")
    return str(save_project(project, tmp_path / "faces.cnn.json"))


def test_cli_train_prints_auc_eer_tar_and_top_k_per_epoch_and_in_json(face_project, tmp_path, capsys):
    code = main(["train", face_project, "--loss", "contrastive", "--out", str(tmp_path / "run"), "--json"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    (epoch,) = [line for line in lines if line.startswith("epoch 1/1")]
    assert "AUC 0." in epoch and "EER" in epoch and "TAR@FAR=1e-3" in epoch and "top-1" in epoch
    assert "top-5 n/a" in epoch
    summary = json.loads(lines[-1])
    assert 0.0 <= summary["val_auc"] <= 1.0 and "val_threshold" in summary
    assert load_checkpoint(tmp_path / "run" / "best.pt").config["metric_loss"] == "contrastive"


def test_cli_refuses_an_unknown_loss_with_exit_status_2(face_project, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", face_project, "--loss", "cosface"])
    assert stop.value.code == 2
    assert "invalid choice: 'cosface'" in capsys.readouterr().err


def test_torch_default_generator_is_untouched_by_the_embedding_map():
    from engine.tasks.embedding_ops import embedding_map

    torch.manual_seed(5)
    expected = torch.rand(1)
    torch.manual_seed(5)
    embedding_map(torch.randn(30, 4), torch.arange(30) // 3)
    assert not torch.equal(torch.rand(1), expected)  # embedding_map's own randn above moved it, as it should
    torch.manual_seed(5)
    points = torch.randn(30, 4)
    state = torch.random.get_rng_state()
    embedding_map(points, torch.arange(30) // 3)
    assert torch.equal(torch.random.get_rng_state(), state)


def test_exports_carry_the_threshold_and_the_python_export_compares_two_images(tmp_path):
    import importlib.util

    import numpy as np
    import onnx
    from PIL import Image

    from engine.export import export_checkpoint
    from engine.export.torchscript import METADATA_ENTRY
    from engine.predict_embeddings import verify_files

    project = Project(embedder(), "Faces", training=config(), task="embedding")
    Trainer(project, out=tmp_path / "run").fit()
    checkpoint = load_checkpoint(tmp_path / "run" / "best.pt")
    threshold = checkpoint.metrics["val_threshold"]
    assert -1.0 <= threshold <= 1.0

    (onnx_path,) = export_checkpoint(checkpoint, "onnx", tmp_path / "faces.onnx", threshold=0.75)
    props = {entry.key: entry.value for entry in onnx.load(str(onnx_path)).metadata_props}
    assert props == {"similarity": "cosine", "threshold": "0.75"}

    (script_path,) = export_checkpoint(checkpoint, "torchscript", tmp_path / "faces.torchscript.pt")
    files = {METADATA_ENTRY: ""}
    torch.jit.load(str(script_path), _extra_files=files)  # our own export, in the test only
    assert json.loads(files[METADATA_ENTRY])["threshold"] == repr(threshold)

    source, _ = export_checkpoint(checkpoint, "python", tmp_path / "faces_model.py")
    spec = importlib.util.spec_from_file_location("faces_model", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.THRESHOLD == threshold
    model = module.load(str(tmp_path / "faces_model.pt"))
    first, second = torch.randn(3, 16, 16), torch.randn(3, 16, 16)
    score, same = module.compare(model, first, first)
    assert score == pytest.approx(1.0, abs=1e-5) and same
    score, _ = module.compare(model, first, second)
    assert -1.0 <= score <= 1.0

    # The same comparison through ConvCanvas's own verification of two files.
    for name, value in (("a.png", 40), ("b.png", 200)):
        Image.fromarray(np.full((20, 20, 3), value, dtype=np.uint8)).save(tmp_path / name)
    from engine.checkpoint import build_model

    network = build_model(checkpoint)
    args = (network, tmp_path / "a.png", tmp_path / "a.png", (3, 16, 16), checkpoint.mean, checkpoint.std)
    result = verify_files(*args, threshold=0.9)
    assert result.similarity == pytest.approx(1.0, abs=1e-5) and result.same
    assert "the same identity (similarity 1.000 ≥ threshold 0.900)" == result.verdict()


def test_a_resumed_arcface_run_continues_with_its_centres_exactly_as_an_uninterrupted_one(tmp_path):
    def run(epochs: int, out, resume=None):
        project = Project(embedder(), "Faces", training=config(metric_loss="arcface", epochs=epochs),
                          task="embedding")
        return Trainer(project, out=out).fit(resume=resume)

    straight = run(2, tmp_path / "straight")
    run(1, tmp_path / "first")
    first = load_checkpoint(tmp_path / "first" / "last.pt")
    assert set(first.loss_state) == {"loss.W"}
    resumed = run(2, tmp_path / "resumed", resume=tmp_path / "first" / "last.pt")
    for key, value in straight.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[key], value, msg=key)
    straight_w = load_checkpoint(tmp_path / "straight" / "last.pt").loss_state["loss.W"]
    torch.testing.assert_close(load_checkpoint(tmp_path / "resumed" / "last.pt").loss_state["loss.W"], straight_w)


def test_cli_predict_compares_two_images_of_an_embedding_checkpoint(face_project, tmp_path, capsys):
    import numpy as np
    from PIL import Image

    assert main(["train", face_project, "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    for name, seed in (("a.png", 1), ("b.png", 2)):
        pixels = np.random.default_rng(seed).integers(0, 255, (20, 20, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / name)
    best, a, b = str(tmp_path / "run" / "best.pt"), str(tmp_path / "a.png"), str(tmp_path / "b.png")
    assert main(["predict", best, a, a, "--threshold", "0.99"]) == 0
    assert capsys.readouterr().out.strip() == f"{a} vs {a}: the same identity (similarity 1.000 ≥ threshold 0.990)"
    assert main(["predict", best, a, b, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["threshold"] == load_checkpoint(best).metrics["val_threshold"]
    assert answer["same"] == (answer["similarity"] >= answer["threshold"])
    assert main(["predict", best, a]) == 2
    assert "compares two images: give exactly two, not 1" in capsys.readouterr().err
    (tmp_path / "bad.png").write_bytes(b"no")
    assert main(["predict", best, a, str(tmp_path / "bad.png")]) == 2
    err = capsys.readouterr().err
    assert "bad.png" in err and err.count("\n") == 1
