"""ConvCanvas engine: build, check, compile and train CNNs. No Qt here, ever.

The public API::

    from engine import load_project, analyze, compile_graph
    project = load_project("presets/lenet5.cnn.json")
    report = analyze(project.graph)          # shapes, params, MACs, issues
    model = compile_graph(project.graph)     # a torch.fx.GraphModule
"""
from .analysis import Analysis, Issue, NodeReport, analyze
from .catalogue import ALL_BLOCKS, CATEGORIES, BlockSpec, ParamSpec, block, block_types, blocks_by_category
from .codegen import python_source
from .compiler import InvalidGraphError, compile_graph, example_input, input_shape
from .config import TRAINING_SETTINGS, TrainingConfig
from .graph import Edge, Graph, GraphError, GraphEvent, Node
from .project import (
    Project,
    ProjectError,
    dumps_project,
    load_project,
    loads_project,
    save_project,
)

__all__ = [
    "ALL_BLOCKS", "CATEGORIES", "TRAINING_SETTINGS", "Analysis", "BlockSpec", "Edge", "Graph",
    "GraphError", "GraphEvent", "InvalidGraphError", "Issue", "Node", "NodeReport", "ParamSpec",
    "Project", "ProjectError", "TrainingConfig", "analyze", "block", "block_types", "blocks_by_category",
    "compile_graph", "dumps_project", "example_input", "input_shape", "load_project",
    "loads_project", "python_source", "save_project",
]
