"""The data for a run: check the network fits the dataset (adapting it if allowed), then load."""
from __future__ import annotations

from dataclasses import replace

from ..compiler import input_normalisation, input_shape, input_window
from ..config import TrainingConfig
from ..data import DatasetInfo, DataSplit, dataset_info, load_dataset
from ..data.normalisation import renormalise
from ..graph import Graph
from ..tasks import DEFAULT_TASK, task_for
from .distributed import DistributedContext
from .errors import FitError, TrainingError
from .fit_check import adapt_graph_to_dataset, fit_problems, left_out_note, size_note


def info_from_split(data: DataSplit) -> DatasetInfo:
    """What a check needs from data already loaded (its images already have the Input's channels)."""
    return DatasetInfo(name=data.source.split(" ", 1)[0], class_names=tuple(data.class_names),
                       channels=data.input_shape[0], native_size=None,
                       num_samples=len(data.train) + len(data.val), description=data.source,
                       target=data.target)


def fit_graph_to_data(graph: Graph, info: DatasetInfo, *, adapt: bool, task: str = DEFAULT_TASK) -> list[str]:
    """Raises ``FitError`` when ``graph`` does not fit ``info`` (unless ``adapt``); returns notes for the log."""
    notes = []
    problems = fit_problems(graph, info, task)
    if problems and (not adapt or info.target != task_for(task).target_kind):
        raise FitError(problems)
    if problems:
        notes += [f"adapted the network: {change}" for change in adapt_graph_to_dataset(graph, info, task=task)]
    note = size_note(graph, info)
    if note:
        notes.append(note)
    return notes


def load_project_data(graph: Graph, config: TrainingConfig, *, target: str, download: bool = False) -> DataSplit:
    """The project's dataset as its network takes it: the Input's shape, window and normalisation, the
    project's split and exclusions. Training, the app's runs and its probe images all load through here."""
    data = load_dataset(config.dataset, input_shape(graph), val_fraction=config.val_fraction, seed=config.seed,
                        root=config.data_root or None, download=download, window=input_window(graph),
                        exclude=config.excluded_files, target=target)
    normalisation = input_normalisation(graph)
    if normalisation is not None:  # the Input node's own statistics (from the Data view)
        renormalise(data, *normalisation)
    return data


def load_training_data(graph: Graph, config: TrainingConfig, *, adapt: bool, download: bool,
                       context: DistributedContext, task: str = DEFAULT_TASK) -> tuple[DataSplit, list[str]]:
    """Checks (and maybe adapts) ``graph`` against ``config.dataset``, then loads it for the Input's shape.

    In a distributed run with ``download``, rank 0 fetches the files before the others read them.
    """
    root = config.data_root or None
    target = task_for(task).target_kind  # a folder is read per identity for the embedding task
    info = dataset_info(config.dataset, root, target=target)
    notes = fit_graph_to_data(graph, info, adapt=adapt, task=task)

    def load() -> DataSplit:
        return load_project_data(graph, config, target=target, download=download and context.is_main)

    if download and context.active:
        data = load() if context.is_main else None
        context.barrier()
        if data is None:
            data = load()
    else:
        data = load()
    return data, notes + refit_to_loaded_classes(graph, info, data, adapt=adapt, task=task) + list(data.notes)


def refit_to_loaded_classes(graph: Graph, info: DatasetInfo, data: DataSplit, *, adapt: bool,
                            task: str = DEFAULT_TASK) -> list[str]:
    """The classes are those the loaded images have: a folder class whose every image was unreadable
    is left out, so the Output (set from the folder names) must fit the classes that remain."""
    dropped = tuple(name for name in info.class_names if name not in data.class_names)
    if not dropped:
        return []
    loaded = replace(info_from_split(data), name=info.name, native_size=info.native_size,
                     left_out=info.left_out + dropped)
    return [left_out_note(dropped), *fit_graph_to_data(graph, loaded, adapt=adapt, task=task)]


def check_given_data(graph: Graph, data: DataSplit, *, adapt: bool, task: str = DEFAULT_TASK) -> list[str]:
    """For data the caller loaded: the classes must fit, and the images must have the Input's shape."""
    notes = fit_graph_to_data(graph, info_from_split(data), adapt=adapt, task=task)
    if tuple(data.input_shape) != input_shape(graph):
        raise TrainingError(f"the data was prepared for images of {'×'.join(map(str, data.input_shape))} but the "
                            f"Input takes {'×'.join(map(str, input_shape(graph)))}; load it again for this network.")
    return notes + list(data.notes)
