"""The Data view's normalisation is the Input node's parameter: saved in the project only when set, moved
there from the training settings of older files, checked as it is typed, and what training normalises with,
so the checkpoint (and with it predict and the exports) normalises the same way."""
from __future__ import annotations

import json

import pytest
import torch

from engine import Project
from engine.compiler import input_normalisation
from engine.graph import GraphError
from engine.project import ProjectError, dumps_project, loads_project
from engine.training.data_setup import load_training_data
from engine.training.distributed import DistributedContext

from .data.data_folders import imbalanced_folder
from .training.conftest import tiny_config, tiny_graph


def _input(graph):
    (node,) = graph.nodes_of_type("input")
    return node


def test_a_project_without_one_writes_nothing_new_and_one_with_it_round_trips():
    graph = tiny_graph()
    plain = dumps_project(Project(graph))
    assert "normalisation" not in plain  # files written before it read and write as before
    graph.set_param(_input(graph).id, "normalisation", "0.1307 / 0.3081")
    text = dumps_project(Project(graph))
    saved_input = next(node for node in json.loads(text)["nodes"] if node["type"] == "input")
    assert saved_input["params"]["normalisation"] == "0.1307 / 0.3081"
    assert input_normalisation(loads_project(text).graph) == ((0.1307,), (0.3081,))
    assert input_normalisation(loads_project(plain).graph) is None


def test_an_older_files_training_setting_moves_onto_the_input_node():
    graph = tiny_graph()
    document = json.loads(dumps_project(Project(graph, training=tiny_config())))
    document["training"]["normalisation"] = "0.25 / 0.5"  # as the Data view stored it before
    project = loads_project(json.dumps(document))
    assert input_normalisation(project.graph) == ((0.25,), (0.5,))
    resaved = json.loads(dumps_project(project))
    assert "normalisation" not in resaved["training"]
    assert next(n for n in resaved["nodes"] if n["type"] == "input")["params"]["normalisation"] == "0.25 / 0.5"
    document["training"]["normalisation"] = ""  # an empty one simply goes
    assert input_normalisation(loads_project(json.dumps(document)).graph) is None


def test_a_bad_normalisation_is_refused_in_one_sentence_naming_the_fix():
    graph = tiny_graph()
    with pytest.raises(GraphError, match="^Input normalisation: write 'mean,… / std,…', e.g. '0.1307 / 0.3081'"):
        graph.set_param(_input(graph).id, "normalisation", "0.5, 0.2")
    with pytest.raises(GraphError, match="stds positive"):
        graph.set_param(_input(graph).id, "normalisation", "0.5 / 0")
    document = json.loads(dumps_project(Project(graph)))
    document["training"] = {"normalisation": "mean 0.5"}
    with pytest.raises(ProjectError, match=r"params\.normalisation.*write 'mean,… / std,…'"):
        loads_project(json.dumps(document))


def test_training_data_is_normalised_with_the_inputs_values_and_records_them(tmp_path):
    root = imbalanced_folder(tmp_path / "pets", {"cats": 10, "dogs": 10}, channels=1)
    config = tiny_config(dataset=str(root), epochs=1, augment_crop=False)

    def loaded(normalisation: str):
        graph = tiny_graph(classes=2)
        graph.set_param(_input(graph).id, "normalisation", normalisation)
        data, _notes = load_training_data(graph, config, adapt=False, download=False, context=DistributedContext())
        return data

    own, computed = loaded("0.25 / 0.5"), loaded("")
    assert own.mean == (0.25,) and own.std == (0.5,)  # what the checkpoint records for predict and exports
    assert computed.mean != own.mean
    pixels = computed.train.images * torch.tensor(computed.std).view(1, -1, 1, 1) + computed.mean[0]
    torch.testing.assert_close(own.train.images, (pixels - 0.25) / 0.5, atol=1e-5, rtol=1e-5)
