"""Importing PyTorch networks: torchvision round trips, composite blocks, refusals, files and the CLI."""
from __future__ import annotations

import textwrap
import warnings

import pytest
import torch
import torchvision
from torch import nn

from engine import analyze, compile_graph, load_project
from engine.checkpoint import save_checkpoint
from engine.cli import main
from engine.export import export_torchscript
from engine.importer import (
    ModelImportError,
    check_torchvision,
    import_file,
    import_module,
    import_python_file,
    import_torchvision,
    module_classes,
)

# (model, input size): the smallest inputs each architecture allows keep this fast.
ROUND_TRIPS = [
    ("alexnet", (3, 64, 64)), ("vgg11", (3, 32, 32)), ("vgg11_bn", (3, 32, 32)), ("vgg16", (3, 32, 32)),
    ("vgg16_bn", (3, 32, 32)), ("resnet18", (3, 64, 64)), ("resnet34", (3, 64, 64)), ("resnet50", (3, 64, 64)),
    ("squeezenet1_0", (3, 64, 64)), ("squeezenet1_1", (3, 64, 64)), ("mobilenet_v2", (3, 64, 64)),
    ("googlenet", (3, 64, 64)), ("densenet121", (3, 64, 64)),
]


def randomised(model: nn.Module) -> nn.Module:
    """Random weights, and batch-norm statistics far from their 0/1 defaults, in eval mode."""
    torch.manual_seed(0)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.BatchNorm2d):
                layer.running_mean.normal_(0, 0.2)
                layer.running_var.uniform_(0.5, 1.5)
                layer.weight.normal_(1, 0.2)
                layer.bias.normal_(0, 0.2)
    return model.eval()


def parameter_count(model: nn.Module) -> int:
    return sum(parameter.numel() for parameter in model.parameters())


@pytest.mark.parametrize("name, shape", ROUND_TRIPS, ids=[name for name, _ in ROUND_TRIPS])
def test_torchvision_models_round_trip_exactly(name, shape):
    # init_weights=False: PyTorch's own initialisation only (random all the same, and twice as fast).
    options = {"init_weights": False} if name.startswith(("vgg", "googlenet")) else {}
    options.update({"aux_logits": False} if name == "googlenet" else {})
    original = randomised(torchvision.models.get_model(name, weights=None, **options))
    result = import_module(original, shape, name=name)
    imported = compile_graph(result.project.graph)
    imported.load_state_dict(result.state_dict, strict=True)
    image = torch.randn(2, *shape)
    with torch.no_grad():
        torch.testing.assert_close(imported(image), original(image), rtol=0, atol=1e-5)
    assert parameter_count(imported) == parameter_count(original) == analyze(result.project.graph).total_params


def test_resnet_blocks_become_composites_with_torchvision_keys():
    result = import_torchvision("resnet18", (3, 64, 64))
    graph = result.project.graph
    assert result.random_weights
    assert [group.name for group in graph.groups.values()] == [
        f"layer{stage}.{index}" for stage in range(1, 5) for index in range(2)]
    first, downsampling = graph.groups["group1"], graph.groups["group3"]
    assert first.type == graph.groups["group2"].type == "BasicBlock64"  # identical structure, one type
    assert downsampling.type == "BasicBlock128"
    assert set(downsampling.members.values()) == {
        "conv1", "bn1", "relu", "conv2", "bn2", "downsample.0", "downsample.1", "add", "relu_1"}
    # The shared ReLU is one node per call; keys equal torchvision's, block by block.
    assert {"layer2_0_relu", "layer2_0_relu_1"} <= set(graph.nodes)
    assert set(compile_graph(graph).state_dict()) == set(torchvision.models.resnet18().state_dict())
    assert set(result.state_dict) == set(compile_graph(graph).state_dict())
    # Laid out: every node and block has a place, and the long chain wraps into rows.
    positions = [(n.ui["x"], n.ui["y"]) for n in graph.nodes.values()]
    assert len({y for _, y in positions}) > 1 and all(group.ui for group in graph.groups.values())


class SqueezeExcite(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.fc(self.pool(x)))


class Gated(nn.Module):
    """A network with operations no block computes: SE gating (a product) and an LSTM."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.se = SqueezeExcite(8)
        self.rnn = nn.LSTM(8, 4)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        x = self.se(self.conv(x)).mean([2, 3])
        x, _ = self.rnn(x)
        return self.head(x.repeat(1, 2))


def test_unsupported_operations_refuse_the_import_listing_each_by_name_and_place():
    with pytest.raises(ModelImportError) as caught:
        import_module(Gated(), (3, 16, 16), name="Gated")
    found = {(item.name, item.location) for item in caught.value.unsupported}
    # The squeeze-and-excite product and the mean over H×W have blocks (Multiply, Mean H×W); the rest not.
    assert {("nn.LSTM", "rnn (node rnn)"), ("Tensor.repeat", "the top-level forward() (node repeat)")} <= found
    assert not {name for name, _ in found} & {"operator.mul", "Tensor.mean"}
    message = str(caught.value)
    assert message.startswith("Gated cannot be imported: ConvCanvas has no block for")
    assert "\n- nn.LSTM at rnn (node rnn): ConvCanvas has no block for this layer" in message
    assert "\n- Tensor.repeat at the top-level forward() (node repeat): ConvCanvas has no block" in message


class Overwriting(nn.Module):
    """An in-place ReLU overwrites a tensor the Add reads later: blocks cannot reproduce that."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(2 * 6 * 6, 3)

    def forward(self, x):
        x = self.conv(x)
        y = self.relu(x)
        return self.fc(torch.flatten(x + y, 1))


def test_an_in_place_operation_on_a_tensor_used_again_is_refused():
    with pytest.raises(ModelImportError, match=r"nn.ReLU at relu .*overwrites conv in place, which add reads"):
        import_module(Overwriting(), (1, 8, 8), name="Overwriting")


def test_networks_that_cannot_be_traced_or_run_get_one_clear_line():
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(ModelImportError, match=r"cannot be traced with torch.fx \(at test_importer.py, line \d+\)"):
        import_module(Branchy(), (1, 4, 4), name="Branchy")
    with pytest.raises(ModelImportError, match=r"alexnet does not run on a 3×16×16 input .*channels×height×width"):
        import_module(torchvision.models.alexnet(), (3, 16, 16), name="alexnet")
    with pytest.raises(ModelImportError, match="input channels 0: must be at least 1"):
        import_torchvision("alexnet", (0, 64, 64))
    with pytest.raises(ModelImportError, match=r"no classification model 'resnet19' \(did you mean resnet18"):
        import_torchvision("resnet19")


def test_checking_a_torchvision_model_builds_nothing_but_the_graph():
    checked = check_torchvision("resnet50")
    assert checked.state_dict == {} and len(checked.project.graph.groups) == 16
    with pytest.raises(ModelImportError, match=r"nn.MultiheadAttention ×\d+"):
        check_torchvision("vit_b_16")


def test_a_regnet_whose_constructor_computes_with_tensors_is_checked_with_its_weights_on_meta():
    """RegNet derives its widths with torch.arange(...).tolist(), which fails on the meta device; the check
    used to build it on the CPU with every weight initialised (regnet_y_128gf: 644 million)."""
    import threading

    from engine.importer.empty_weights import weights_on_meta
    from engine.importer.sources import _torchvision_model

    model = _torchvision_model("regnet_y_400mf", meta=True)
    assert all(tensor.is_meta for tensor in [*model.parameters(), *model.buffers()])
    elsewhere = []
    with weights_on_meta():  # another thread building a network meanwhile keeps real weights
        thread = threading.Thread(target=lambda: elsewhere.append(nn.Conv2d(3, 4, 3).weight.is_meta))
        thread.start()
        thread.join()
        assert nn.Conv2d(3, 4, 3).weight.is_meta
    assert elsewhere == [False] and not nn.Conv2d(3, 4, 3).weight.is_meta


@pytest.mark.parametrize("name", ["regnet_y_400mf", "densenet121", "mobilenet_v3_small", "shufflenet_v2_x0_5"])
def test_a_check_on_meta_finds_the_graph_a_real_import_builds(name):
    """The check answers initialisations and normalisations on meta tensors without running them: the
    shapes, and so every block's parameters, are still those of the real import."""
    def blocks(graph):
        return {node.name: (node.type, node.params) for node in graph.nodes.values()}

    checked = check_torchvision(name, (3, 64, 64))
    imported = import_torchvision(name, (3, 64, 64))
    assert blocks(checked.project.graph) == blocks(imported.project.graph)
    assert analyze(checked.project.graph).total_params == analyze(imported.project.graph).total_params


def test_on_meta_initialisations_layers_and_arithmetic_are_answered_without_running_torchs_kernels():
    """Torch's meta kernels are Python references (an empty_like, a ReLU, an addmm or an adaptive pooling took
    milliseconds): the check answers them from the shapes. nn.init's functions, called with tensor=…, and those calling
    others (kaiming_uniform_ → uniform_, where the mode no longer sees the inner call) ran their kernels."""
    import torch.nn.functional as F
    from torch.utils._python_dispatch import TorchDispatchMode

    from engine.importer.empty_weights import MetaShortcuts

    class Kernels(TorchDispatchMode):  # records the aten operations that reach torch's kernels
        def __init__(self) -> None:
            super().__init__()
            self.ran: set[str] = set()

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ran.add(func.overloadpacket.__name__)
            return func(*args, **(kwargs or {}))

    with torch.device("meta"), Kernels() as kernels, MetaShortcuts():
        conv, linear = nn.Conv2d(3, 8, (3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2)), nn.Linear(8, 4)
        nn.init.normal_(tensor=conv.weight, std=0.01)
        x = torch.empty(2, 3, 33, 31)
        y = F.relu(conv(x)) * torch.empty(2, 8, 1, 1) + 1
        z = F.hardswish(linear(y.permute(0, 2, 3, 1)))
        pooled = [nn.AdaptiveAvgPool2d(1)(y), F.adaptive_avg_pool2d(y, (3, None)), F.adaptive_avg_pool2d(y[0], 5)]
    assert kernels.ran <= {"empty", "permute", "select"}, kernels.ran  # views: no kernel of their own
    with torch.device("meta"):
        expected = F.hardswish(F.linear((F.relu(conv(x)) * torch.empty(2, 8, 1, 1) + 1).permute(0, 2, 3, 1),
                                        linear.weight, linear.bias))
    assert (y.shape, z.shape, z.dtype) == ((2, 8, 17, 27), expected.shape, expected.dtype)
    assert [tensor.shape for tensor in pooled] == [(2, 8, 1, 1), (2, 8, 3, 27), (8, 5, 5)]
    with torch.device("meta"), MetaShortcuts():
        halves = torch.ones(3, dtype=torch.int64) / 2  # whole numbers divided: floats, as torch gives
    assert halves.dtype == torch.get_default_dtype()


MODEL_FILE = '''
import torch
from torch import nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, channels=8):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)) + x)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 8, 3, padding=1)
        self.blocks = nn.Sequential(Block(), Block())
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(self.blocks(self.stem(x)), 2)
        return self.fc(x.view(x.size(0), -1))


class NeedsWidth(nn.Module):
    def __init__(self, width):
        super().__init__()
'''


def test_a_python_file_imports_its_class_with_blocks_for_its_submodules(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL_FILE)
    assert module_classes(path) == ["Block", "Net", "NeedsWidth"]
    result = import_python_file(path, "Net", (1, 8, 8))
    graph = result.project.graph
    assert [(g.name, g.type) for g in graph.groups.values()] == [("blocks.0", "Block8"), ("blocks.1", "Block8")]
    assert set(graph.groups["group1"].members.values()) == {"conv", "bn", "add", "relu"}
    assert [graph.nodes[n].type for n in ("stem", "max_pool2d", "view", "fc")] == [
        "conv2d", "maxpool2d", "flatten", "dense"]
    assert "blocks.1.bn.running_var" in result.state_dict
    # Without a size: 224×224, with the channels of the first convolution (too big for this Net's fc).
    with pytest.raises(ModelImportError, match="Net does not run on a 1×224×224 input"):
        import_python_file(path, "Net")


@pytest.mark.parametrize("source, class_name, message", [
    ("missing.py", "Net", r"missing.py: no such file"),
    ("model.py", "Nett", r"has no class 'Nett' \(its nn.Module classes: Block, Net, NeedsWidth\)"),
    ("model.py", "NeedsWidth", r"NeedsWidth\(\) needs arguments \(width\): give them default values"),
    ("broken.py", "Net", r"broken.py, line 3: syntax error"),
    ("failing.py", "Net", r"failing.py, line 2: running it failed: ZeroDivisionError"),
])
def test_python_file_problems_are_named(tmp_path, source, class_name, message):
    (tmp_path / "model.py").write_text(MODEL_FILE)
    (tmp_path / "broken.py").write_text("import torch\n\nclass Net(:\n    pass\n")
    (tmp_path / "failing.py").write_text("import torch\nx = 1 / 0\n")
    with pytest.raises(ModelImportError, match=message):
        import_python_file(tmp_path / source, class_name, (1, 8, 8))


def test_checkpoints_and_torchscript_exports_import_back_with_their_weights(tmp_path):
    original = import_module(randomised(torchvision.models.squeezenet1_1()), (3, 64, 64), name="SqueezeNet")
    project, state = original.project, original.state_dict
    checkpoint = save_checkpoint(tmp_path / "run.pt", project=project, model_state=state, class_names=["a"],
                                 mean=(0.5,), std=(0.5,), metrics={}, history=[], epoch=3)
    model = compile_graph(project.graph)
    model.load_state_dict(state)
    script = export_torchscript(model, torch.randn(1, 3, 64, 64), tmp_path / "net.torchscript.pt", project)
    image = torch.randn(2, 3, 64, 64)
    for path in (checkpoint, script):
        result = import_file(path)
        assert set(result.project.graph.nodes) == set(project.graph.nodes)
        assert [g.name for g in result.project.graph.groups.values()] == [g.name for g in project.graph.groups.values()]
        again = compile_graph(result.project.graph)
        again.load_state_dict(result.state_dict, strict=True)
        with torch.no_grad():
            torch.testing.assert_close(again(image), model(image), rtol=0, atol=1e-6)
    assert "epoch 3" in import_file(checkpoint).notes[-1]


def test_files_without_an_architecture_are_refused_with_what_to_do(tmp_path):
    network = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2))
    torch.save(network.state_dict(), tmp_path / "weights.pt")
    torch.save(network, tmp_path / "pickled.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated, still what others save
        torch.jit.save(torch.jit.trace(network, torch.randn(1, 1, 4, 4)), str(tmp_path / "foreign.pt"))
    cases = {"weights.pt": "holds weights only (a state_dict of 4 tensors), not the network's architecture",
             "pickled.pt": "it holds Python objects that could run code",
             "foreign.pt": "a TorchScript file not made by ConvCanvas; ConvCanvas never runs code from a model file",
             "absent.pt": "no such file"}
    for name, message in cases.items():
        with pytest.raises(ModelImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
            import_file(tmp_path / name)


def test_cli_import_writes_a_project_and_its_weights(tmp_path, capsys):
    out, weights = tmp_path / "net.cnn.json", tmp_path / "net.pt"
    assert main(["import", "resnet18", "--input", "3x64x64", "--out", str(out), "--weights-out", str(weights)]) == 0
    printed = capsys.readouterr().out
    assert "Imported resnet18: 71 nodes in 8 blocks (BasicBlock64 ×2, BasicBlock128" in printed
    assert "11,689,512 parameters" in printed
    project = load_project(out)
    assert project.weights == "net.pt" and len(project.graph.groups) == 8
    model = compile_graph(project.graph)
    model.load_state_dict(torch.load(weights, weights_only=True), strict=True)


def test_cli_import_explains_what_is_wrong(tmp_path, capsys):
    assert main(["import", "resnet19", "--out", str(tmp_path / "x.cnn.json")]) == 2
    assert "convcanvas import: torchvision has no classification model 'resnet19' (did you mean resnet18" in (
        capsys.readouterr().err)
    path = tmp_path / "model.py"
    path.write_text(MODEL_FILE)
    assert main(["import", str(path), "--out", str(tmp_path / "x.cnn.json")]) == 2
    assert "name the network's class with --class (it defines Block, Net, NeedsWidth)" in capsys.readouterr().err
    assert main(["import", "alexnet", "--input", "3x64", "--out", str(tmp_path / "x.cnn.json")]) == 2
    assert "--input '3x64': give channels×height×width" in capsys.readouterr().err
    assert main(["import", "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert "resnet18" in listed and "alexnet" in listed
    assert not (tmp_path / "x.cnn.json").exists()


def test_cli_import_of_a_python_file(tmp_path, capsys):
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(MODEL_FILE))
    out = tmp_path / "net.cnn.json"
    assert main(["import", str(path), "--class", "Net", "--input", "1x8x8", "--out", str(out)]) == 0
    assert "Imported Net: " in capsys.readouterr().out
    assert analyze(load_project(out).graph).valid


class Doubling(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 6 * 6, 3)

    def forward(self, x):
        x = self.conv(x)
        return self.fc(torch.flatten(x + x, 1))


def test_one_tensor_used_twice_by_an_operation_is_refused():
    with pytest.raises(ModelImportError, match=r"operator.add at the top-level forward\(\) \(node add\): it uses one "
                                               r"tensor twice"):
        import_module(Doubling(), (1, 8, 8), name="Doubling")


def test_list_check_remembers_its_verdicts_until_the_code_or_libraries_change(tmp_path, capsys, monkeypatch):
    """A second ``import --list --check`` builds no model; the verdicts are kept per code and versions."""
    import json

    from engine import importer
    from engine.importer import check_cache

    monkeypatch.setenv("CONVCANVAS_CACHE", str(tmp_path))
    monkeypatch.setattr(importer, "torchvision_models", lambda: ["alexnet", "vit_b_16"])  # two of the 80: quick
    checked = []

    def counted(name, *args):
        checked.append(name)
        return check_torchvision(name, *args)

    monkeypatch.setattr(importer, "check_torchvision", counted)
    assert main(["import", "--list", "--check"]) == 0
    first = capsys.readouterr().out
    assert checked == ["alexnet", "vit_b_16"] and first.startswith("✓ alexnet\n  vit_b_16: no (")
    assert "1 of 2 models import" in first
    assert main(["import", "--list", "--check"]) == 0
    assert capsys.readouterr().out == first and checked == ["alexnet", "vit_b_16"]
    stored = json.loads(check_cache.checks_path().read_text(encoding="utf-8"))
    check_cache.checks_path().write_text(json.dumps({"torch 0.0 | older code": stored[check_cache.code_key()]}))
    assert main(["import", "--list", "--check"]) == 0
    assert capsys.readouterr().out == first and checked == ["alexnet", "vit_b_16"] * 2


def test_list_check_shares_the_models_among_worker_processes_and_keeps_their_order(monkeypatch):
    """The first ``--list --check`` checks models in forked workers (one per core): each line is the one this
    process would print, in the list's order, with remembered verdicts kept as they were."""
    import engine.cli.import_model as command

    monkeypatch.setattr(command, "PARALLEL_FROM", 2)
    names = ["alexnet", "vit_b_16", "squeezenet1_0", "vit_b_32"]
    lines = list(command._checked_lines(names, {"vit_b_16": "remembered"}))
    assert lines == [command._check_line("alexnet"), "remembered", command._check_line("squeezenet1_0"),
                     command._check_line("vit_b_32")]
    assert lines[0] == "✓ alexnet" and lines[3].startswith("  vit_b_32: no (")


def _where_worked_out() -> str:
    import os

    return f"worked out in process {os.getpid()}"


def test_list_check_works_out_the_onnx_line_in_another_process_meanwhile(monkeypatch):
    """Importing onnx for the ONNX line takes over a second, which this process spends importing torchvision:
    a forked process works the line out meanwhile. Where that process fails, the line is worked out here."""
    import os

    import engine.cli.import_model as command

    monkeypatch.setattr(command, "onnx_coverage", _where_worked_out)
    line = command._onnx_line_elsewhere()()
    assert line.startswith("worked out in process ") and line != _where_worked_out()
    parent = os.getpid()

    def fails_elsewhere() -> str:
        if os.getpid() != parent:
            raise ImportError("no onnx in that process")
        return "worked out here"

    monkeypatch.setattr(command, "onnx_coverage", fails_elsewhere)
    assert command._onnx_line_elsewhere()() == "worked out here"


def test_the_collector_paused_for_imports_is_left_as_it_was():
    """The command line pauses the garbage collector while torch and torchvision are imported (it only walked
    their long-lived objects again and again); a caller that had turned it off finds it still off."""
    import gc

    from engine.garbage_collector import paused

    assert gc.isenabled()
    with paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(KeyError), paused():
        raise KeyError("the block failed")
    assert gc.isenabled()


def _collector_state(name: str) -> str:
    import gc

    return f"{name} {'collects' if gc.isenabled() else 'does not collect'}"


def test_list_check_workers_check_with_the_garbage_collector_off(monkeypatch):
    """Collecting the objects tracing and mapping leave took a fifth of a check: each worker keeps them until it
    exits. This process (which may go on to other work) keeps its collector on."""
    import gc
    import os

    import engine.cli.import_model as command

    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: the models are checked in this process, without workers")
    monkeypatch.setattr(command, "PARALLEL_FROM", 2)
    monkeypatch.setattr(command, "_check_line", _collector_state)
    assert list(command._checked_lines(["a", "b", "c"], {})) == [f"{name} does not collect" for name in "abc"]
    assert gc.isenabled()


def test_remembered_list_check_imports_neither_torchvision_nor_onnx(tmp_path):
    """Remembered verdicts print without importing torchvision (torch._dynamo with it) or onnx: seconds of a
    run that builds no model."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    from engine.importer import check_cache

    env = {**__import__("os").environ, "CONVCANVAS_CACHE": str(tmp_path),
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    (tmp_path / check_cache.FILE_NAME).write_text(json.dumps({check_cache.code_key(): {
        "models": {"alexnet": "✓ alexnet", "vit_b_16": "  vit_b_16: no (remembered)"}, "onnx": "ONNX: remembered"}}))
    script = ("import sys; from engine.cli import main; main(['import', '--list', '--check']); "
              "print(sorted({'torchvision', 'onnx'} & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
                          check=True)
    assert done.stdout.splitlines() == ["✓ alexnet", "  vit_b_16: no (remembered)", "1 of 2 models import",
                                        "ONNX: remembered", "[]"]
