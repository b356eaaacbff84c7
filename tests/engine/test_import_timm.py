"""timm's models (a test dependency only): the importer knows its layers by behaviour (BatchNormAct2d is
BatchNorm2d then its activation, its Linear is nn.Linear), so these import; a few are held to their outputs."""
from __future__ import annotations

import warnings

import pytest
import torch

from engine import compile_graph
from engine.importer import import_module

from .test_importer import randomised

timm = pytest.importorskip("timm")

TIMM_IMPORTS = [
    "resnet18", "resnet50", "resnext50_32x4d", "seresnet50", "densenet121", "inception_v3", "xception41", "dla34",
    "res2net50_26w_4s", "cspresnet50", "cspdarknet53", "selecsls42b", "regnetx_002", "regnety_002", "repvgg_a2",
    "resnetv2_50", "gernet_s", "mobilenetv2_100", "mobilenetv3_small_100", "mobilenetv3_large_100", "mnasnet_100",
    "spnasnet_100", "fbnetc_100", "efficientnet_b0", "efficientnet_lite0", "mixnet_s", "tinynet_a", "hardcorenas_a",
    "lcnet_050", "ghostnet_100", "rexnet_100", "dpn68",
    "resnet26d", "resnet34d",  # AvgPool2d(count_include_pad=False) in the shortcut
    "tf_efficientnet_lite0",  # Conv2dSame: TensorFlow's uneven "same" border
    "hrnet_w18_small",  # nn.Upsample in its fuse layers
    "convnext_tiny",  # timm's LayerNorm (by behaviour) and gamma.reshape(1, -1, 1, 1) as a LayerScale
]
"""The timm models of the corpus that import today (``import --list --check`` covers torchvision's)."""


def test_at_least_35_of_the_46_timm_models_of_the_corpus_import():
    assert len(set(TIMM_IMPORTS)) == len(TIMM_IMPORTS) >= 35


def _timm_model(name: str, meta: bool = False) -> torch.nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if meta:
            try:
                with torch.device("meta"):
                    return timm.create_model(name, pretrained=False)
            except NotImplementedError:  # a constructor that computes with tensors
                pass
        return timm.create_model(name, pretrained=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", TIMM_IMPORTS)
def test_timm_model_imports(name):
    model = _timm_model(name, meta=True)
    shape = tuple(model.pretrained_cfg.get("input_size", (3, 224, 224)))
    result = import_module(model, shape, name=name, check_only=True)
    assert result.project.graph.nodes


@pytest.mark.parametrize("name", ["mobilenetv3_small_100", "efficientnet_b0", "regnety_002", "densenet121", "resnet26d",
                                  "tf_efficientnet_lite0", "hrnet_w18_small", "convnext_tiny"])
def test_timm_models_with_fused_norm_act_layers_compute_what_timm_does(name):
    torch.manual_seed(0)
    original = randomised(_timm_model(name))
    result = import_module(original, (3, 64, 64), name=name)
    imported = compile_graph(result.project.graph)
    imported.load_state_dict(result.state_dict, strict=True)
    image = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(imported(image), original(image), rtol=0, atol=1e-5)
    assert sum(p.numel() for p in imported.parameters()) == sum(p.numel() for p in original.parameters())
