"""Does a network fit a dataset? And if not, the smallest change that makes it fit.

Two things must agree before training: the number of class scores the
Output gives and the number of classes, and the Input channels and the
images' channels (1 grey, 3 colour). Height and width need not agree: the
data layer resizes the images to the Input size, which is only noted.
"""
from __future__ import annotations

from ..analysis import Analysis, analyze
from ..catalogue import block, format_shape
from ..data import DatasetInfo
from ..graph import Graph, Node
from ..tasks import DEFAULT_TASK, task_for
from .errors import FitError

# Blocks that keep the feature count, which may sit between the last scoring layer and the Output.
_PASS_THROUGH = ("activation", "dropout")
# The layer whose width is the number of classes, per task: (block type, its parameter).
_SCORER = {"classification": ("dense", "out_features"), "segmentation": ("conv2d", "out_channels"),
           "detection": ("conv2d", "out_channels"), "multilabel": ("dense", "out_features")}


def _channel_words(channels: int) -> str:
    return {1: "grey (1-channel)", 3: "colour (3-channel)"}.get(channels, f"{channels}-channel")


def _class_list(names: tuple[str, ...] | list[str], limit: int = 6) -> str:
    shown = ", ".join(names[:limit])
    return shown + (", …" if len(names) > limit else "")


def _left_out_words(info: DatasetInfo) -> str:
    if not info.left_out:
        return ""
    return f"; {left_out_note(info.left_out)}"


def left_out_note(names: tuple[str, ...] | list[str]) -> str:
    """Why the dataset has fewer classes than class folders."""
    return f"class(es) {_class_list([repr(name) for name in names])} left out: none of their images could be read"


def output_size(graph: Graph, task: str = DEFAULT_TASK, analysis: Analysis | None = None) -> int | None:
    """The number of classes the Output scores (None when the graph cannot tell yet).

    ``analysis``: the graph's current analysis, where the caller has one (the app after each edit):
    analysing a 1,000-node graph again would cost more than a frame."""
    outputs = graph.nodes_of_type("output")
    if len(outputs) != 1:
        return None
    report = (analysis or analyze(graph, task=task)).nodes.get(outputs[0].id)
    shape = report.output_shape if report is not None else None
    return task_for(task).classes_of_output(shape) if shape else None


def _input_node(graph: Graph) -> Node | None:
    inputs = graph.nodes_of_type("input")
    return inputs[0] if len(inputs) == 1 else None


def final_dense(graph: Graph, task: str = DEFAULT_TASK) -> Node | None:
    """The layer whose width is the number of classes (a Dense; for segmentation a Conv2d): the Output's
    source, past activations and dropout."""
    if task not in _SCORER:  # an embedding's last Dense sets the embedding's size, not a class count
        return None
    scorer = _SCORER[task][0]
    outputs = graph.nodes_of_type("output")
    if len(outputs) != 1:
        return None
    node = outputs[0]
    while True:
        sources = graph.incoming(node.id)
        if len(sources) != 1:
            return None
        node = graph.nodes[sources[0].src]
        if node.type == scorer:
            return node
        if node.type not in _PASS_THROUGH:
            return None


def fit_problems(graph: Graph, info: DatasetInfo, task: str = DEFAULT_TASK,
                 analysis: Analysis | None = None) -> list[str]:
    """One sentence per mismatch between the network and the dataset; empty when they fit."""
    problems = []
    if info.target != task_for(task).target_kind:
        problems.append(f"Dataset '{info.name}' is for {_TARGET_TASK[info.target]} but the project's task is "
                        f"{task}: pick {'an' if task[0] in 'aeiou' else 'a'} {task} dataset "
                        f"({', '.join(task_for(task).dataset_kinds)}) or change the task.")
        return problems
    scores = output_size(graph, task, analysis)
    if scores is not None and scores != info.num_classes:
        problems.append(f"The Output gives {scores} scores but dataset '{info.name}' has {info.num_classes} "
                        f"classes ({_class_list(info.class_names)}){_left_out_words(info)}.")
    node = _input_node(graph)
    if node is not None and node.params["channels"] != info.channels:
        problems.append(f"The Input takes {node.params['channels']} channel(s) but dataset '{info.name}' has "
                        f"{_channel_words(info.channels)} images.")
    return problems


def block_title(type_id: str) -> str:
    return block(type_id).title


_TARGET_TASK = {"label": "classification", "mask": "segmentation", "boxes": "detection", "findings": "multilabel",
                "identity": "embedding"}


def size_note(graph: Graph, info: DatasetInfo) -> str | None:
    """A line for the log when the images will be resized to the Input size."""
    node = _input_node(graph)
    if node is None or info.native_size is None:
        return None
    size = (node.params["height"], node.params["width"])
    if size == tuple(info.native_size):
        return None
    return (f"images of dataset '{info.name}' are {format_shape(info.native_size)}; they are resized to the "
            f"Input's {format_shape(size)}")


def adapt_graph_to_dataset(graph: Graph, info: DatasetInfo, *, resize_input: bool = False,
                           task: str = DEFAULT_TASK) -> list[str]:
    """Rewrites ``graph`` in place to fit ``info``; returns one line per change (empty if none was needed).

    The Input gets the images' channels (and, with ``resize_input``, their
    native height and width); the last Dense before the Output gets one
    unit per class. Raises ``FitError`` when no Dense feeds the Output, or
    when the changed network no longer checks out.
    """
    changes = []
    node = _input_node(graph)
    if node is None:
        raise FitError(["The network has no single Input node to adapt."], hint="")
    if node.params["channels"] != info.channels:
        changes.append(f"{node.name}: channels {node.params['channels']} → {info.channels} "
                       f"(dataset '{info.name}' has {_channel_words(info.channels)} images)")
        graph.set_param(node.id, "channels", info.channels)
    if resize_input and info.native_size is not None:
        height, width = info.native_size
        if (node.params["height"], node.params["width"]) != (height, width):
            changes.append(f"{node.name}: size {node.params['height']}×{node.params['width']} → {height}×{width} "
                           f"(the dataset's native size)")
            graph.set_param(node.id, "height", height)
            graph.set_param(node.id, "width", width)
    scores = output_size(graph, task)
    if task_for(task).counts_classes and scores != info.num_classes:
        dense = final_dense(graph, task)
        scorer, param = _SCORER[task]
        if dense is None:
            layer = "Dense with one unit" if scorer == "dense" else "1×1 Conv2d with one channel"
            raise FitError([f"The Output must give {info.num_classes} scores for dataset '{info.name}', but no "
                            f"{block_title(scorer)} layer feeds it to adapt; add a {layer} per class before the "
                            "Output."], hint="")
        what = "units" if scorer == "dense" else "channels"
        width = task_for(task).output_width(info.num_classes)  # detection: + 4 box channels
        changes.append(f"{dense.name}: {what} {dense.params[param]} → {width} "
                       f"(dataset '{info.name}' has {info.num_classes} classes)")
        graph.set_param(dense.id, param, width)
    report = analyze(graph, task=task)
    if not report.valid:
        raise FitError([f"After adapting to dataset '{info.name}' the network has an error: {report.errors[0]}"],
                       hint="")
    return changes
