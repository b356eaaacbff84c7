"""Importing the modern CNN families (MobileNetV3, EfficientNet, RegNetY, ShuffleNetV2, MNASNet, ConvNeXt)
and networks written in the same style in a user's own code: the same outputs, composite blocks named
after the source's classes, and exports (ONNX, Python) that compute the same."""
from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn

from engine import analyze, compile_graph
from engine.codegen import python_source
from engine.export import export_onnx
from engine.importer import ModelImportError, import_module

from .test_importer import parameter_count, randomised

SHAPE = (3, 64, 64)  # the smallest size every family runs at (ConvNeXt downsamples 32×)

FAMILIES = {
    "mobilenet_v3_small": {"InvertedResidual", "Conv2dNormActivation"},
    "mobilenet_v3_large": {"InvertedResidual", "Conv2dNormActivation"},
    "efficientnet_b0": {"MBConv", "Conv2dNormActivation"},
    "regnet_y_400mf": {"SimpleStemIN"},  # its blocks' names (block1-0) are not Python names: imported loose
    "shufflenet_v2_x1_0": {"InvertedResidual"},
    "mnasnet0_5": {"_InvertedResidual"},
    "convnext_tiny": {"CNBlock", "Conv2dNormActivation"},
}


def import_exactly(original: nn.Module, shape, name: str, **options):
    """Imports ``original`` and checks the compiled graph computes exactly what it does on a random batch:
    (graph, compiled network, that batch, the original's output)."""
    result = import_module(original, shape, name=name, **options)
    imported = compile_graph(result.project.graph, name=name)
    imported.load_state_dict(result.state_dict, strict=True)
    image = torch.randn(2, *shape)
    with torch.no_grad():
        expected = original(image)
        torch.testing.assert_close(imported(image), expected, rtol=0, atol=1e-5)
    return result.project.graph, imported, image, expected


def _onnx_output(model: nn.Module, image: torch.Tensor, path) -> torch.Tensor:
    import onnxruntime

    export_onnx(model, image[:1], path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {session.get_inputs()[0].name: image.numpy()})
    return torch.from_numpy(output)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_modern_families_import_exactly_with_blocks_named_after_their_classes_and_export(name, tmp_path):
    original = randomised(torchvision.models.get_model(name, weights=None))
    graph, imported, image, expected = import_exactly(original, SHAPE, name)
    with torch.no_grad():
        assert parameter_count(imported) == parameter_count(original) == analyze(graph).total_params
        types = {group.type.rstrip("0123456789_") for group in graph.groups.values()}
        assert FAMILIES[name] <= types, types
        torch.testing.assert_close(_onnx_output(imported, image, tmp_path / "net.onnx"), expected,
                                   rtol=1e-4, atol=1e-4)
        namespace: dict = {}
        exec(compile(python_source(graph, name), f"{name}.py", "exec"), namespace)  # noqa: S102 - our output
        standalone = next(v for k, v in namespace.items() if k.lower() == name.replace("_", "").lower())()
        standalone.load_state_dict(imported.state_dict(), strict=True)
        torch.testing.assert_close(standalone.eval()(image), expected, rtol=1e-4, atol=1e-4)


def test_sequential_subclasses_import_as_blocks_whose_numbered_layers_keep_their_keys_in_python_export():
    """torchvision's Conv2dNormActivation (a Sequential subclass: layers 0, 1, 2) imports as one block; its
    Python export is valid source whose state_dict keys are the original's (features.0.0.weight) and the
    compiled network's, computing the same."""
    original = randomised(torchvision.models.mobilenet_v2())
    result = import_module(original, SHAPE, name="mobilenet_v2")
    graph = result.project.graph
    stem = next(group for group in graph.groups.values() if group.name == "features.0")
    assert stem.type.startswith("Conv2dNormActivation") and sorted(stem.members.values()) == ["0", "1", "2"]
    namespace: dict = {}
    exec(compile(python_source(graph, "MobileNetV2"), "mobilenet_v2.py", "exec"), namespace)  # noqa: S102
    standalone = namespace["MobileNetV2"]().eval()
    compiled = compile_graph(graph, name="mobilenet_v2")
    assert list(standalone.state_dict()) == list(compiled.state_dict())
    assert set(compiled.state_dict()) == set(result.state_dict)
    features = [key for key in original.state_dict() if key.startswith("features.")]
    assert features and set(features) <= set(standalone.state_dict())  # classifier.1 is a loose card
    standalone.load_state_dict(result.state_dict, strict=True)
    image = torch.randn(2, *SHAPE)
    with torch.no_grad():
        torch.testing.assert_close(standalone(image), original(image), rtol=0, atol=1e-5)


def test_torchvisions_convnext_weights_fit_the_import_tensor_for_tensor():
    from engine.weights import match_weights

    original = torchvision.models.convnext_tiny().eval()
    result = import_module(original, SHAPE, name="convnext_tiny", check_only=True)
    match = match_weights(result.project.graph, original.state_dict())
    assert match.complete and not match.unexpected, match.describe()


class SqueezeExcite(nn.Module):
    """Written as people write it: mean over H×W, two 1×1 convolutions, a gate multiplied in."""

    def __init__(self, channels: int, squeezed: int) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeezed, 1)
        self.expand = nn.Conv2d(squeezed, channels, 1)

    def forward(self, x):
        scale = x.mean((2, 3), keepdim=True)
        scale = nn.functional.hardsigmoid(self.expand(torch.relu(self.reduce(scale))))
        return torch.mul(x, scale)


class InvertedResidual(nn.Module):
    def __init__(self, channels: int, expanded: int) -> None:
        super().__init__()
        self.expand = nn.Sequential(nn.Conv2d(channels, expanded, 1, bias=False), nn.BatchNorm2d(expanded),
                                    nn.Hardswish())
        self.depthwise = nn.Sequential(nn.Conv2d(expanded, expanded, 3, padding=1, groups=expanded, bias=False),
                                       nn.BatchNorm2d(expanded), nn.Mish())
        self.se = SqueezeExcite(expanded, 8)
        self.project = nn.Sequential(nn.Conv2d(expanded, channels, 1, bias=False), nn.BatchNorm2d(channels))
        self.drop = torchvision.ops.StochasticDepth(0.2, "row")

    def forward(self, x):
        return x + self.drop(self.project(self.se(self.depthwise(self.expand(x)))))


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.act = nn.PReLU(16)
        self.blocks = nn.Sequential(InvertedResidual(16, 32), InvertedResidual(16, 48))
        self.norm = nn.GroupNorm(4, 16)
        self.shuffle = nn.ChannelShuffle(2)
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        x = self.norm(self.blocks(self.act(self.stem(x))))
        left, right = x.chunk(2, dim=1)
        x = self.shuffle(torch.cat([right, left[:, :4], left[:, 4:, ...]], 1))
        return self.head(x.mean((2, 3)))


def test_squeeze_excite_and_inverted_residuals_written_in_a_users_code_import():
    original = randomised(Tiny())
    result = import_module(original, (3, 16, 16), name="Tiny")
    graph = result.project.graph
    imported = compile_graph(graph)
    imported.load_state_dict(result.state_dict, strict=True)
    image = torch.randn(3, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(imported(image), original(image), rtol=0, atol=1e-5)
    types = sorted(node.type for node in graph.nodes.values())
    for type_id in ("multiply", "spatial_mean", "prelu", "groupnorm", "stochastic_depth", "channel_slice",
                    "channel_shuffle"):
        assert type_id in types
    assert {group.type.rstrip("0123456789_") for group in graph.groups.values()} == {"InvertedResidual"}


class Permuting(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = self.conv(x).permute(0, 2, 3, 1)
        return self.fc(x.mean((1, 2)))


def test_operations_on_channels_last_tensors_other_than_per_pixel_layers_are_refused():
    with pytest.raises(ModelImportError) as caught:
        import_module(Permuting(), (3, 8, 8), name="Permuting")
    (item,) = caught.value.unsupported
    assert item.name == "Tensor.mean" and "permute back to channels first" in item.what


class Attention(nn.Module):
    """Reads many tensor attributes directly, as ViT and Swin do."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        for index in range(30):
            setattr(self, f"bias{index}", nn.Parameter(torch.zeros(4, 6, 6)))
        self.head = nn.Linear(4 * 6 * 6, 2)

    def forward(self, x):
        x = self.conv(x)
        for index in range(30):
            x = x + getattr(self, f"bias{index}")
        return self.head(x.flatten(1))


def test_a_refusal_reads_in_one_short_line_with_attribute_reads_grouped():
    with pytest.raises(ModelImportError) as caught:
        import_module(Attention(), (3, 8, 8), name="Attention")
    first = str(caught.value).splitlines()[0]
    assert len(caught.value.unsupported) == 60 and len(first) < 200
    assert "tensor attributes read directly ×30" in first and "bias7" not in first


class NormActPlusOne(nn.BatchNorm2d):
    """Looks like timm's BatchNormAct2d (an ``act`` child) but computes something else."""

    def __init__(self, channels: int) -> None:
        super().__init__(channels)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(super().forward(x)) + 1


class NormAct(NormActPlusOne):
    def forward(self, x):
        return self.act(super(NormActPlusOne, self).forward(x))


class DoubledLinear(nn.Linear):
    def forward(self, x):
        return 2 * super().forward(x)


class QuietLinear(nn.Linear):
    """Only its forward's spelling differs from nn.Linear's (as timm's Linear)."""

    def forward(self, x):
        return nn.functional.linear(x, self.weight, self.bias)


def _with(norm: type, linear: type) -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 3), norm(4), nn.Flatten(), linear(4 * 6 * 6, 2))


def test_subclasses_of_layers_are_imported_only_when_they_compute_what_their_base_does():
    original = randomised(_with(NormAct, QuietLinear))
    result = import_module(original, (3, 8, 8), name="Known")
    assert sorted(node.type for node in result.project.graph.nodes.values()) == [
        "activation", "batchnorm2d", "conv2d", "dense", "flatten", "input", "output"]
    for norm, linear, refused in ((NormActPlusOne, QuietLinear, "NormActPlusOne"),
                                  (NormAct, DoubledLinear, "DoubledLinear")):
        with pytest.raises(ModelImportError) as caught:
            import_module(_with(norm, linear), (3, 8, 8), name="Odd")
        assert [item.name for item in caught.value.unsupported] == [refused]


class TooSmall(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 7)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(self.conv(x).flatten(1))


def test_a_model_that_does_not_run_on_the_input_gets_the_real_cause_in_one_line_and_no_traceback(capfd):
    with pytest.raises(ModelImportError) as caught:
        import_module(TooSmall(), (3, 4, 4), name="TooSmall")
    message = str(caught.value)
    assert "\n" not in message and "ShapeProp" not in message and "Kernel size can't be greater" in message
    assert capfd.readouterr().err == ""


class TFSameConv(nn.Conv2d):
    """TensorFlow's "same" padding as timm's Conv2dSame computes it: the odd extra row/column at the end."""

    def forward(self, x):
        pad_h = max((-(-x.shape[-2] // self.stride[0]) - 1) * self.stride[0] + self.kernel_size[0] - x.shape[-2], 0)
        pad_w = max((-(-x.shape[-1] // self.stride[1]) - 1) * self.stride[1] + self.kernel_size[1] - x.shape[-1], 0)
        x = nn.functional.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return nn.functional.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class ExtraFirstConv(TFSameConv):
    """Pads the odd extra at the start instead: not TensorFlow's "same", so it must not import as one."""

    def forward(self, x):
        x = nn.functional.pad(x, [1, 0, 1, 0])
        return nn.functional.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class ShortcutPool(nn.Module):
    """The ResNet-D shortcut (timm's resnet26d): an average over real pixels only, then a 1×1 conv."""

    def __init__(self, conv: type) -> None:
        super().__init__()
        self.stem = conv(3, 4, 3, stride=2)
        self.pool = nn.AvgPool2d(3, 2, padding=1, count_include_pad=False)
        self.fc = nn.Linear(4 * 4 * 4, 2)

    def forward(self, x):
        return self.fc(nn.functional.avg_pool2d(self.pool(self.stem(x)), 1, count_include_pad=False).flatten(1))


def test_tensorflow_same_padding_imports_as_a_zero_pad_and_a_conv_known_by_behaviour(tmp_path):
    original = randomised(ShortcutPool(TFSameConv))
    result = import_module(original, (3, 16, 16), name="TFSame")
    graph = result.project.graph
    pad = graph.node_by_name("stem_pad")
    assert pad.type == "zeropad2d" and pad.params == {"left": 0, "right": 1, "top": 0, "bottom": 1}
    assert graph.node_by_name("pool").params["count_include_pad"] is False
    imported = compile_graph(graph)
    imported.load_state_dict(result.state_dict, strict=True)
    assert set(result.state_dict) >= {"stem.weight", "stem.bias"}
    image = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(imported(image), original(image), rtol=0, atol=1e-6)
    namespace: dict = {}
    exec(compile(python_source(graph, "TFSame"), "tfsame.py", "exec"), namespace)  # noqa: S102 - our own output
    standalone = namespace["TFSame"]()
    standalone.load_state_dict(imported.state_dict(), strict=True)
    torch.testing.assert_close(standalone.eval()(image), imported.eval()(image), rtol=0, atol=0)
    with pytest.raises(ModelImportError) as caught:
        import_module(ShortcutPool(ExtraFirstConv), (3, 16, 16), name="Odd")
    assert [item.name for item in caught.value.unsupported] == ["ExtraFirstConv"]
    assert "\n" not in caught.value.summary


# --- every imported model also exports -----------------------------------------------------------------


class Fire(nn.Module):
    """SqueezeNet's pattern: one class, instances fed different channels; and an uneven (1×3) kernel, which a
    node keeps as a list parameter (Inception v3's)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.squeeze = nn.Conv2d(channels, 8, 1)
        self.wide = nn.Conv2d(8, 8, (1, 3), padding=(0, 1))

    def forward(self, x):
        return torch.relu(self.wide(torch.relu(self.squeeze(x))))


class Fires(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first, self.second, self.third = Fire(3), Fire(8), Fire(8)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))

    def forward(self, x):
        return self.head(self.third(self.second(self.first(x))))


def _python_export_output(graph, state: dict, image: torch.Tensor, name: str) -> torch.Tensor:
    namespace: dict = {}
    exec(compile(python_source(graph, name), f"{name}.py", "exec"), namespace)  # noqa: S102 - our output
    standalone = next(v for k, v in namespace.items() if k.lower() == name.replace("_", "").lower())()
    standalone.load_state_dict(state, strict=True)
    with torch.no_grad():
        return standalone.eval()(image)


def test_instances_of_one_class_fed_different_channels_export_to_python_with_classes_of_their_own():
    original = randomised(Fires())
    result = import_module(original, (3, 16, 16), name="Fires")
    graph = result.project.graph
    type_of = {group.name: group.type for group in graph.groups.values()}
    assert type_of["second"] == type_of["third"] != type_of["first"]  # one type per weight shapes
    image = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        expected = original(image)
    torch.testing.assert_close(_python_export_output(graph, result.state_dict, image, "Fires"), expected,
                               rtol=1e-5, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize("name, shape", [("densenet169", (3, 32, 32)), ("googlenet", (3, 64, 64)),
                                         ("squeezenet1_0", (3, 64, 64)), ("squeezenet1_1", (3, 64, 64)),
                                         ("mobilenet_v2", (3, 32, 32)), ("inception_v3", (3, 75, 75))])
def test_the_imports_whose_python_export_broke_export_to_onnx_and_python(name, shape, tmp_path):
    options = {"aux_logits": False, "init_weights": False} if name in ("googlenet", "inception_v3") else {}
    original = randomised(torchvision.models.get_model(name, weights=None, **options))
    graph, imported, image, expected = import_exactly(original, shape, name, layout=False)
    with torch.no_grad():
        torch.testing.assert_close(_onnx_output(imported, image, tmp_path / "net.onnx"), expected,
                                   rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(_python_export_output(graph, imported.state_dict(), image, name), expected,
                               rtol=1e-4, atol=1e-4)
