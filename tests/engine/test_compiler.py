"""compile_graph() and python_source(): real modules with readable names, same outputs."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from engine import InvalidGraphError, analyze, compile_graph, python_source

from .graphs import lenet5, residual


def test_state_dict_keys_read_like_node_names():
    model = compile_graph(lenet5())
    assert list(model.state_dict())[:4] == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"]
    assert isinstance(model, torch.fx.GraphModule)
    assert type(model.conv1) is torch.nn.Conv2d


def test_compiled_module_computes_the_graph():
    graph = residual()
    model = compile_graph(graph, name="Residual demo")
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        stem = model.conv1(x)
        body = model.bn1(model.conv2(stem))
        joined = torch.cat([body + stem, model.conv3(stem)], dim=1)
        expected = model.fc1(model.dropout1(model.flatten1(model.gap1(model.act1(joined)))))
        assert torch.allclose(model(x), expected)
    assert type(model).__name__ == "ResidualDemo"


def test_invalid_graph_is_refused_with_the_analysis_issues():
    graph = lenet5()
    graph.set_param(graph.node_by_name("conv2").id, "kernel_size", 30)
    with pytest.raises(InvalidGraphError) as caught:
        compile_graph(graph)
    assert caught.value.issues == analyze(graph).errors
    assert "conv2: Conv2d window 30×30 is larger" in str(caught.value)


def test_unused_branch_still_compiles():
    graph = lenet5()
    dead = graph.add_node("activation")
    graph.connect(graph.node_by_name("fc1").id, dead.id)
    model = compile_graph(graph)
    assert model(torch.randn(1, 1, 32, 32)).shape == (1, 10)


@pytest.mark.parametrize("build", [lenet5, residual])
def test_generated_source_runs_on_its_own_with_the_same_outputs(build, tmp_path):
    graph = build()
    model = compile_graph(graph)
    shape = analyze(graph).nodes[graph.nodes_of_type("input")[0].id].output_shape
    x = torch.randn(2, *shape)
    torch.save({"state": model.state_dict(), "x": x, "y": model(x).detach()}, tmp_path / "data.pt")
    (tmp_path / "net.py").write_text(python_source(graph, name="My net"))
    check = f"""
import sys, torch
sys.path.insert(0, {str(tmp_path)!r})
from net import MyNet
data = torch.load({str(tmp_path / 'data.pt')!r}, weights_only=True)
model = MyNet().eval()
model.load_state_dict(data["state"])
assert torch.allclose(model(data["x"]), data["y"], atol=1e-6)
assert not any(name.startswith("engine") for name in sys.modules)
print("same")
"""
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "same"


def test_generated_source_survives_awkward_project_names():
    source = python_source(lenet5(), name='Quotes """ and \\ backslashes')
    compile(source, "generated.py", "exec")
    assert "class QuotesAndBackslashes(nn.Module):" in source
