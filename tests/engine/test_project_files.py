"""Project files: canonical round trips, and one clear line for every kind of bad file."""
from __future__ import annotations

import json

import pytest

from engine import Project, ProjectError, TrainingConfig, dumps_project, load_project, loads_project, save_project
from engine.project import project_to_dict

from .graphs import residual


def sample_project() -> Project:
    graph = residual()
    for index, node_id in enumerate(graph.nodes):
        graph.set_ui(node_id, x=index * 200.5, y=40)
    return Project(graph, "Résidu", "A small residual net", TrainingConfig(epochs=3, lr=0.01))


def test_save_load_save_gives_the_same_bytes(tmp_path):
    path = save_project(sample_project(), tmp_path / "net.cnn.json")
    first = path.read_bytes()
    loaded = load_project(path)
    assert loaded.name == "Résidu" and loaded.training.epochs == 3
    assert loaded.path == path
    save_project(loaded, tmp_path / "again.cnn.json")
    assert (tmp_path / "again.cnn.json").read_bytes() == first


def test_file_holds_plain_values_only():
    document = json.loads(dumps_project(sample_project()))
    assert document["format"] == "convcanvas.project" and document["version"] == 3
    assert document["edges"][0] == {"from": ["input1", "out"], "to": ["conv1", "in"]}
    assert document["nodes"][1]["params"]["kernel_size"] == 3


def mutated(change) -> str:
    document = project_to_dict(sample_project())
    change(document)
    return json.dumps(document)


def refused(text: str) -> str:
    with pytest.raises(ProjectError) as caught:
        loads_project(text, "net.cnn.json")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_newer_version_is_refused():
    message = refused(mutated(lambda d: d.update(version=7)))
    assert "newer ConvCanvas (file format version 7; this one reads up to 3)" in message


def test_not_a_project():
    assert "not a ConvCanvas project" in refused('{"hello": 1}')
    assert "expected a JSON object at the top, got a list" in refused("[1, 2]")


def test_not_json():
    assert "net.cnn.json: not a valid JSON file (line 1, column 2" in refused("{oops")
    assert "not a valid JSON file" in refused(b"\xff\xfe\x00garbage")


def test_unknown_block_type():
    message = refused(mutated(lambda d: d["nodes"][1].update(type="conv3d")))
    assert "nodes[1] (conv1).type: unknown block type 'conv3d'" in message and "conv2d" in message


def test_wrong_type():
    message = refused(mutated(lambda d: d["nodes"][1]["params"].update(out_channels="eight")))
    assert "nodes[1] (conv1).params.out_channels: must be a whole number, got 'eight'" in message
    assert "expected a list, got text" in refused(mutated(lambda d: d.update(nodes="none")))
    assert "training: epochs: must be a whole number" in refused(
        mutated(lambda d: d["training"].update(epochs=True)))


def test_missing_field():
    assert "nodes[2] (conv2): missing field 'type'" in refused(mutated(lambda d: d["nodes"][2].pop("type")))
    assert "missing field 'edges'" in refused(mutated(lambda d: d.pop("edges")))


def test_dangling_edge():
    message = refused(mutated(lambda d: d["edges"].append({"from": ["ghost", "out"], "to": ["conv1", "in"]})))
    assert "edges[" in message and "refers to node 'ghost', which does not exist (a dangling edge)" in message


def test_duplicate_id():
    def duplicate(document):
        document["nodes"].append({**document["nodes"][1], "name": "other"})
    assert "duplicate id 'conv1'" in refused(mutated(duplicate))


def test_absurd_values_are_refused_before_allocation():
    message = refused(mutated(lambda d: d["nodes"][1]["params"].update(out_channels=10**9)))
    assert "out_channels: must be at most 65,536, got 1,000,000,000" in message
    assert "height: must be at most 8,192" in refused(mutated(lambda d: d["nodes"][0]["params"].update(height=10**6)))


def test_unknown_parameter_and_bad_ports():
    assert "Conv2d has no parameter 'size'" in refused(mutated(lambda d: d["nodes"][1]["params"].update(size=3)))
    assert "has no input port 'side'" in refused(mutated(lambda d: d["edges"][0].update(to=["conv1", "side"])))


def test_bad_ui_values():
    assert "ui.x: expected a plain value" in refused(mutated(lambda d: d["nodes"][0]["ui"].update(x=[1])))


def test_load_project_reports_missing_and_folders(tmp_path):
    with pytest.raises(ProjectError, match="no such file"):
        load_project(tmp_path / "nope.cnn.json")
    with pytest.raises(ProjectError, match="is a folder"):
        load_project(tmp_path)


def test_failed_save_leaves_the_old_file_intact(tmp_path):
    path = save_project(sample_project(), tmp_path / "net.cnn.json")
    before = path.read_bytes()
    broken = sample_project()
    broken.name = object()  # not JSON-serialisable: the write fails half way
    with pytest.raises(TypeError):
        save_project(broken, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["net.cnn.json"]


def test_a_number_too_long_to_be_a_value_is_one_line():
    """Python refuses to convert a 5,001-digit literal (a ValueError deep in json): one line instead."""
    text = mutated(lambda d: d["nodes"][1]["params"].update(kernel_size=3)).replace(
        '"kernel_size": 3', '"kernel_size": 1' + "0" * 5000)
    assert "not a valid JSON file (the number 100000000000… has 5,001 digits, more than the 20 a value may " \
           "have)" in refused(text)
    assert "the number 1e999 is too large" in refused(text.replace("1" + "0" * 5000, "1e999"))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant):
    text = mutated(lambda d: d["nodes"][0]["ui"].update(x=1.5)).replace('"x": 1.5', f'"x": {constant}')
    assert f"not a valid JSON file ({constant} is not a number JSON allows)" in refused(text)


def test_a_lone_surrogate_in_a_name_is_refused_where_it_is():
    text = mutated(lambda d: d["nodes"][1].update(name="convX")).replace('"convX"', '"conv\\ud800"')
    assert "net.cnn.json: nodes[1].name: the text holds an invalid character (a lone UTF-16 surrogate " \
           "\\ud800" in refused(text)
    key = mutated(lambda d: d["nodes"][0]["ui"].update(k=1)).replace('"k"', '"\\udfff"')
    assert "nodes[0].ui.'\\udfff': the text holds an invalid character" in refused(key)
    paired = loads_project(mutated(lambda d: d.update(name="x")).replace('"name": "x"', '"name": "net \\ud83d\\ude00"'))
    assert paired.name == "net 😀"  # a proper pair is a character, not a problem


def test_a_parameter_added_later_is_written_only_when_it_differs_from_its_default():
    """AvgPool2d's count_include_pad came after files held AvgPool2d: at its default they stay as they were."""
    from engine import Graph

    graph = Graph()
    graph.add_node("avgpool2d", name="plain")
    graph.add_node("avgpool2d", {"count_include_pad": False}, name="real_pixels_only")
    nodes = {node["name"]: node["params"] for node in json.loads(dumps_project(Project(graph, "Pools")))["nodes"]}
    assert nodes["plain"] == {"kernel_size": 2, "stride": 2, "padding": 0, "ceil_mode": False}
    assert nodes["real_pixels_only"]["count_include_pad"] is False
    again = loads_project(dumps_project(Project(graph, "Pools"))).graph
    assert again.node_by_name("plain").params["count_include_pad"] is True
    assert again.node_by_name("real_pixels_only").params["count_include_pad"] is False
