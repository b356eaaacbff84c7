"""`convcanvas summary` and `python -m engine summary` as a user runs them."""
from __future__ import annotations

import json
import subprocess
import sys

from engine import Project, save_project

from .graphs import lenet5


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, timeout=120)


def test_summary_table_and_json(tmp_path):
    path = save_project(Project(lenet5(), "LeNet-5"), tmp_path / "lenet.cnn.json")
    table = run_cli("summary", str(path))
    assert table.returncode == 0, table.stderr
    assert "conv1" in table.stdout and "6×28×28" in table.stdout and "Total parameters: 61,706" in table.stdout
    result = run_cli("summary", str(path), "--json")
    data = json.loads(result.stdout)
    assert data["valid"] is True and data["total_params"] == 61_706 and data["total_macs"] == 416_520
    conv = next(node for node in data["nodes"] if node["name"] == "conv1")
    assert conv == {"id": "conv1", "name": "conv1", "type": "conv2d", "output_shape": [6, 28, 28],
                    "params": 156, "macs": 117_600, "issues": []}


def test_summary_of_an_invalid_network_lists_issues_and_exits_1(tmp_path):
    graph = lenet5()
    graph.set_param(graph.node_by_name("conv2").id, "kernel_size", 30)
    path = save_project(Project(graph, "Broken"), tmp_path / "broken.cnn.json")
    result = run_cli("summary", str(path))
    assert result.returncode == 1
    assert "error: conv2: Conv2d window 30×30 is larger than its padded input" in result.stdout
    data = json.loads(run_cli("summary", str(path), "--json").stdout)
    assert data["valid"] is False
    assert next(n for n in data["nodes"] if n["name"] == "conv2")["issues"][0]["severity"] == "error"


def test_bad_file_exits_2_with_one_line_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.cnn.json"
    bad.write_text('{"format": "convcanvas.project", "version": 99, "nodes": [], "edges": []}')
    result = run_cli("summary", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "newer ConvCanvas" in result.stderr and "Traceback" not in result.stderr
    missing = run_cli("summary", str(tmp_path / "missing.cnn.json"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
