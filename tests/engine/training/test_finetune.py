"""Fine-tuning: start from saved weights, freeze all but the head, and the frozen layers do not move."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from engine import Project, TrainingConfig, compile_graph, load_project, save_project
from engine.finetune import freeze_all_but_head, head_nodes
from engine.project import ProjectError, loads_project, weights_path
from engine.training import Callback, Trainer, TrainingError
from engine.training.pretrained import NOTE_PREFIX

from .conftest import tiny_config, tiny_graph

PRESETS = Path(__file__).resolve().parents[3] / "presets"
COLOURS = {"red": (200, 40, 40), "green": (40, 180, 60), "blue": (40, 60, 200)}


def image_folder(root: Path, per_class: int = 6) -> Path:
    """A small colour image folder: one class per dominant colour, with noise."""
    generator = torch.Generator().manual_seed(5)
    for name, rgb in COLOURS.items():
        (root / name).mkdir(parents=True)
        for index in range(per_class):
            noise = torch.randint(-40, 40, (32, 32, 3), generator=generator)
            pixels = (torch.tensor(rgb) + noise).clamp(0, 255).to(torch.uint8).numpy()
            Image.fromarray(pixels, "RGB").save(root / name / f"{index}.png")
    return root


def pretrained_file(project: Project, path: Path) -> dict[str, torch.Tensor]:
    """The "pretrained" weights: the preset's network with non-trivial BatchNorm statistics, saved."""
    torch.manual_seed(11)
    model = compile_graph(project.graph)
    generator = torch.Generator().manual_seed(12)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.copy_(torch.randn(module.num_features, generator=generator) * 0.1)
            module.running_var.copy_(torch.rand(module.num_features, generator=generator) + 0.5)
            module.num_batches_tracked.fill_(1000)
    state = {key: value.clone() for key, value in model.state_dict().items()}
    torch.save(state, path)
    return state


class InitialHead(Callback):
    """Remembers the head's weights as training starts (after loading and re-initialising)."""

    def on_fit_start(self, state) -> None:
        self.weight = state.model.get_submodule("fc").weight.detach().clone()


def test_fine_tuning_a_pretrained_network_moves_only_its_head(tmp_path):
    project = load_project(PRESETS / "resnet8.cnn.json")
    saved = pretrained_file(project, tmp_path / "pretrained.pth")
    folder = image_folder(tmp_path / "colours")
    project.weights = str(tmp_path / "pretrained.pth")
    project.training = TrainingConfig(dataset=str(folder), epochs=2, batch_size=6, optimizer="sgd", lr=0.05,
                                      momentum=0.9, weight_decay=1e-3, val_fraction=0.34, seed=1, device="cpu")
    changed = freeze_all_but_head(project.graph)
    assert [project.graph.nodes[i].name for i in head_nodes(project.graph)] == ["fc"]
    assert "fc" not in changed and len(changed) == sum(node.frozen for node in project.graph.nodes.values())

    head = InitialHead()
    result = Trainer(project, adapt=True, callbacks=[head]).fit()

    assert result.epochs_completed == 2 and result.class_names == ["blue", "green", "red"]
    weights_notes = [note for note in result.notes if note.startswith(NOTE_PREFIX)]
    assert weights_notes[0] == "initial weights: pretrained.pth: loaded 54 of 56 tensors; fc re-initialised"
    assert "fc.weight: file 5×64, network 3×64; fc.bias: file 5, network 3" in weights_notes[1]
    assert any(note.startswith("frozen: ") and "2 of 29 weight tensors train" in note for note in result.notes)

    trained = result.model.state_dict()
    frozen_keys = [key for key in saved if not key.startswith("fc.")]
    assert any("running_var" in key for key in frozen_keys) and len(frozen_keys) == 54
    for key in frozen_keys:  # weights, BatchNorm statistics and batch counters, bit for bit
        assert torch.equal(trained[key], saved[key]), key
    assert trained["fc.weight"].shape == (3, 64)
    assert not torch.equal(trained["fc.weight"], head.weight)  # the head learned
    assert all(not p.requires_grad for name, p in result.model.named_parameters() if not name.startswith("fc."))


def test_a_resumed_fine_tuning_run_keeps_its_frozen_layers(tmp_path, data):
    project = Project(tiny_graph(), "Tiny", training=tiny_config(epochs=1))
    torch.manual_seed(4)
    saved = {key: value.clone() for key, value in compile_graph(project.graph).state_dict().items()}
    torch.save(saved, tmp_path / "start.pt")
    project.weights = str(tmp_path / "start.pt")
    freeze_all_but_head(project.graph)
    Trainer(project, out=tmp_path / "run").fit(data)
    resumed = Trainer(project, tiny_config(epochs=2)).fit(data, resume=tmp_path / "run" / "last.pt")
    assert resumed.epochs_completed == 2
    for key, value in resumed.model.state_dict().items():
        if not key.startswith("fc."):
            assert torch.equal(value, saved[key]), key
    assert not torch.equal(resumed.model.state_dict()["fc.weight"], saved["fc.weight"])


def test_a_network_with_every_layer_frozen_is_refused(project, data):
    for node_id in project.graph.nodes:
        project.graph.set_frozen(node_id, True)
    with pytest.raises(TrainingError, match="every layer with weights is frozen"):
        Trainer(project).fit(data)


def test_a_missing_weights_file_stops_the_run_with_its_path(project, data, tmp_path):
    project.weights = str(tmp_path / "gone.pth")
    project.weights_source = "torchvision resnet18 IMAGENET1K_V1"
    with pytest.raises(TrainingError, match=r"gone\.pth \(torchvision resnet18 IMAGENET1K_V1\) is missing"):
        Trainer(project).fit(data)


def test_weights_of_another_network_stop_the_run(project, data, tmp_path):
    torch.save({"encoder.weight": torch.zeros(2)}, tmp_path / "other.pth")
    project.weights = str(tmp_path / "other.pth")
    with pytest.raises(TrainingError, match="do not fit this network: None of the file's 1 tensors fit"):
        Trainer(project).fit(data)


# --- project files ------------------------------------------------------------------------------------


def test_weights_and_frozen_nodes_survive_save_and_load(project, tmp_path):
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "start.pt").write_bytes(b"")
    project.weights = str(tmp_path / "weights" / "start.pt")
    project.weights_source = "torchvision resnet18 IMAGENET1K_V1"
    project.graph.set_frozen("conv1", True)
    save_project(project, tmp_path / "tiny.cnn.json")
    text = (tmp_path / "tiny.cnn.json").read_text()
    assert '"file": "weights/start.pt"' in text  # next to the project: relative, so the folder can move
    loaded = load_project(tmp_path / "tiny.cnn.json")
    assert loaded.weights == "weights/start.pt" and loaded.weights_source == project.weights_source
    assert weights_path(loaded) == tmp_path / "weights" / "start.pt"
    assert [node.name for node in loaded.graph.nodes.values() if node.frozen] == ["conv1"]

    (tmp_path / "elsewhere").mkdir()
    save_project(loaded, tmp_path / "elsewhere" / "copy.cnn.json")  # Save As elsewhere: still the same file
    assert weights_path(load_project(tmp_path / "elsewhere" / "copy.cnn.json")) == tmp_path / "weights" / "start.pt"


def test_a_project_without_weights_writes_no_weights_entry(project, tmp_path):
    save_project(project, tmp_path / "plain.cnn.json")
    assert '"weights"' not in (tmp_path / "plain.cnn.json").read_text()
    assert weights_path(load_project(tmp_path / "plain.cnn.json")) is None


def test_a_weights_entry_of_the_wrong_type_is_named(project, tmp_path):
    save_project(project, tmp_path / "p.cnn.json")
    text = (tmp_path / "p.cnn.json").read_text().replace('"training"', '"weights": {"file": 3},\n  "training"', 1)
    with pytest.raises(ProjectError, match=r"weights\.file: expected text"):
        loads_project(text, "p.cnn.json")


# --- command line -------------------------------------------------------------------------------------


def test_the_train_command_starts_from_a_weights_file_and_freezes_all_but_the_head(tmp_path, capsys):
    from engine.checkpoint import load_checkpoint
    from engine.cli import main

    project = Project(tiny_graph(classes=10), "Tiny", training=tiny_config(epochs=1, batch_size=128))
    save_project(project, tmp_path / "tiny.cnn.json")
    torch.manual_seed(8)
    saved = compile_graph(project.graph).state_dict()
    torch.save(saved, tmp_path / "start.pt")
    code = main(["train", str(tmp_path / "tiny.cnn.json"), "--weights", str(tmp_path / "start.pt"),
                 "--freeze-all-but-head", "--out", str(tmp_path / "run")])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert "initial weights: start.pt: loaded 9 of 9 tensors" in lines
    assert any(line.startswith("frozen: 2 layer(s) keep their weights (conv1, bn1)") for line in lines)
    trained = load_checkpoint(tmp_path / "run" / "last.pt")
    assert torch.equal(trained.model_state["conv1.weight"], saved["conv1.weight"])
    assert [node.name for node in trained.project.graph.nodes.values() if node.frozen] == ["conv1", "bn1"]

    assert main(["train", str(tmp_path / "tiny.cnn.json"), "--weights", "torchvision"]) == 2
    assert "torchvision has no model called like the project 'Tiny'" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "tiny.cnn.json"), "--resume", str(tmp_path / "run" / "last.pt"),
                 "--freeze-all-but-head"]) == 2
    assert "a resumed run keeps the checkpoint's weights and frozen layers" in capsys.readouterr().err
