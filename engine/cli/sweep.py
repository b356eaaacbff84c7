"""``convcanvas sweep FILE --trials N|--time T --param …``: an Optuna sweep of training settings and node
parameters, one line per trial; the same command resumes a killed sweep (the study lives in its storage)."""
from __future__ import annotations

import json
import re
import sys

from ..experiments.sweeps import SweepError, parse_params
from ..experiments.sweeps.objectives import parse_objectives
from .common import CommandError, open_project

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep", help="search training settings and node parameters with Optuna, each trial a run",
        description="Each --param is NAME=LOW..HIGH[:log|:step=N] or NAME=A,B,...; NAME is a training setting "
                    "(lr, batch_size, optimizer, weight_decay, augment, ...), NODE.PARAM (conv1.out_channels) or "
                    "STAGE.repeat, how many blocks a stage has (layer2.repeat=1..4). "
                    "Run the same command again to resume: the study is kept in --storage.")
    parser.add_argument("file", help="a project file (*.cnn.json)")
    budget = parser.add_mutually_exclusive_group(required=True)
    budget.add_argument("--trials", type=int, metavar="N", help="run until the study holds N finished trials")
    budget.add_argument("--time", metavar="T", help="run for this long: 90s, 20m, 2h (seconds without a unit)")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=RANGE", required=True,
                        help="a parameter to sweep, e.g. lr=1e-4..1e-1 or conv1.out_channels=8..64 (repeatable)")
    parser.add_argument("--objective", default="accuracy", metavar="accuracy[,macs|params|latency]",
                        help="what to optimise: the task's validation metric, and with a second name a Pareto "
                             "front against MACs, parameters or measured latency (default: accuracy)")
    parser.add_argument("--epochs", type=int, metavar="N", help="epochs per trial (default: the project's)")
    parser.add_argument("--storage", metavar="URL", help="an Optuna storage URL, e.g. postgresql://user@host/db "
                        "(default: sqlite in the runs folder, sweeps.db)")
    parser.add_argument("--study", metavar="NAME", help="the study's name (default: the project file's name)")
    parser.add_argument("--runs", metavar="DIR", help="the runs folder for the trials' run folders "
                        "(default: runs/ beside the project)")
    parser.add_argument("--no-pruning", dest="pruning", action="store_false",
                        help="train every trial to its last epoch (default: Optuna's median pruner)")
    parser.add_argument("--seed", type=int, metavar="N", help="the sampler's seed (repeatable sweeps)")
    parser.add_argument("--ray", metavar="ADDRESS", help="run the trials on a Ray cluster with Ray Tune "
                        "(ADDRESS: auto, local, or ray://host:10001); needs pip install 'convcanvas[cluster]'")
    parser.add_argument("--json", action="store_true", help="end with one JSON line summing up the sweep")
    parser.set_defaults(handler=run)


def parse_duration(text: str) -> float:
    found = _DURATION.match(text)
    if not found or float(found[1]) <= 0:
        raise CommandError(f"--time {text!r}: write a duration such as 90s, 20m or 2h")
    return float(found[1]) * {"s": 1, "m": 60, "h": 3600, None: 1}[found[2]]


def run(args) -> int:
    if args.trials is not None and args.trials < 1:
        raise CommandError("--trials must be at least 1")
    timeout = parse_duration(args.time) if args.time else None
    project = open_project(args.file)
    try:
        if args.epochs is not None:
            project.training = project.training.replace(epochs=args.epochs)
        space = parse_params(args.param, project)
        objectives = parse_objectives(args.objective)
        options = dict(objectives=objectives, runs_root=args.runs, storage=args.storage, study_name=args.study,
                       pruning=args.pruning, seed=args.seed)
        if args.ray:
            from ..experiments.sweeps.ray_tune import RaySweep

            sweep = RaySweep(project, space, address=args.ray, on_trial=_print_row, **options)
        else:
            from ..experiments.sweeps.runner import Sweep

            sweep = Sweep(project, space, on_trial=_print_row, **options)
        print(f"study {sweep.study_name} in {sweep.storage_url}: " + "; ".join(p.describe() for p in space), flush=True)
        summary = sweep.run(trials=args.trials, timeout=timeout)
    except SweepError as error:
        raise CommandError(str(error)) from None
    except Exception as error:  # ParamError from --epochs
        if type(error).__name__ != "ParamError":
            raise
        raise CommandError(f"--epochs: {error}") from None
    for line in summary.lines():
        print(line)
    if args.json:
        print(json.dumps({"study": summary.study_name, "storage": summary.storage, "pareto": summary.pareto,
                          "importances": summary.importances, "trials": [row.to_dict() for row in summary.rows]}))
    return 0


def _print_row(row) -> None:
    print(row.line(), flush=True)
    sys.stdout.flush()
