"""Long valid networks, written as project files, for timing load and analysis against size."""
from __future__ import annotations

import json
from pathlib import Path

from engine.project import FORMAT, VERSION


def chain_document(nodes: int) -> dict:
    """A valid project of ``nodes`` nodes: input, then 1×1 convolutions and ReLUs in turn, flatten, dense,
    output, laid out in rows as the app would place them."""
    body = max(nodes - 4, 0)
    layers = [{"id": "input", "type": "input", "name": "input",
               "params": {"channels": 3, "height": 8, "width": 8}}]
    for index in range(body):
        if index % 2 == 0:
            layers.append({"id": f"conv{index}", "type": "conv2d", "name": f"conv{index}",
                           "params": {"out_channels": 4, "kernel_size": 1}})
        else:
            layers.append({"id": f"relu{index}", "type": "activation", "name": f"relu{index}", "params": {}})
    layers += [{"id": "flatten", "type": "flatten", "name": "flatten", "params": {}},
               {"id": "fc", "type": "dense", "name": "fc", "params": {"out_features": 10}},
               {"id": "output", "type": "output", "name": "output", "params": {}}]
    for index, layer in enumerate(layers):
        layer["ui"] = {"x": 260 * (index % 8), "y": 200 * (index // 8)}
    edges = [{"from": [a["id"], "out"], "to": [b["id"], "in"]} for a, b in zip(layers, layers[1:])]
    return {"format": FORMAT, "version": VERSION, "name": f"Chain of {len(layers)}", "description": "",
            "nodes": layers, "edges": edges, "groups": []}


def write_chain(path: Path, nodes: int) -> Path:
    path.write_text(json.dumps(chain_document(nodes), indent=2), encoding="utf-8")
    return path


def grouped_chain_document(nodes: int, group_size: int = 10) -> dict:
    """``chain_document``, with every run of ``group_size`` convolution/ReLU nodes made one block (the way
    imported networks read: stages of blocks)."""
    document = chain_document(nodes)
    body = [layer["id"] for layer in document["nodes"][1:-3]]
    groups = []
    for start in range(0, len(body) - group_size + 1, group_size):
        members = body[start:start + group_size]
        index = len(groups)
        groups.append({"id": f"group{index}", "name": f"stage{index}", "type": "ConvReluStack",
                       "members": {member: f"layer{position}" for position, member in enumerate(members)},
                       "inputs": [[[members[0], "in"]]], "output": members[-1], "collapsed": True,
                       "ui": {"x": 0, "y": 0}})
    document["groups"] = groups
    return document
