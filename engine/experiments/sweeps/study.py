"""Where a sweep keeps its trials: an Optuna study in an RDB storage (SQLite by default).

The default database is ``sweeps.db`` in the runs root, so a sweep killed half-way resumes where it
stopped and several processes on this machine can work on one study; a PostgreSQL URL
(``postgresql://user:pass@host/db``) lets processes on several machines share it.
"""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .objectives import directions
from .space import SweepError, SweepParam, suggest_values

if TYPE_CHECKING:  # pragma: no cover - typing only
    import optuna

DEFAULT_DATABASE = "sweeps.db"
#: seconds a process waits for another one's write to SQLite before giving up
SQLITE_TIMEOUT = 60
#: the user attribute naming the process that runs a trial (to tell an interrupted trial from a running one)
WORKER_ATTR = "worker"
CREATE_ATTEMPTS = 20
_CREATION_RACE = ("already exists", "UNIQUE constraint failed: alembic_version", "database is locked")


def default_storage(runs_root: Path) -> str:
    return f"sqlite:///{(Path(runs_root) / DEFAULT_DATABASE).resolve()}"


def default_study_name(project_path: Path | None, project_name: str) -> str:
    """The project file's name without ``.cnn.json`` (else the project's name), safe in a folder name."""
    stem = project_path.name.removesuffix(".cnn.json").removesuffix(".json") if project_path else project_name
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in stem).strip("-") or "sweep"


def open_storage(url: str):
    import optuna
    import sqlalchemy.exc

    kwargs = {}
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"connect_args": {"timeout": SQLITE_TIMEOUT}}
    try:
        for attempt in range(CREATE_ATTEMPTS):
            try:
                return optuna.storages.RDBStorage(url, engine_kwargs=kwargs)
            except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError) as error:
                # Processes starting one sweep on a new database race to make its tables: the losers see
                # "table … already exists" or a second schema version while the winner is mid-way; the
                # tables are whole a moment later.
                if not any(sign in str(error) for sign in _CREATION_RACE) or attempt == CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.1 * (attempt + 1))
    except (ImportError, ModuleNotFoundError) as error:
        raise SweepError(f"the storage {url.split(':', 1)[0]} needs a database driver that is not installed "
                         f"({error}); e.g. pip install psycopg2-binary for PostgreSQL") from None
    except (sqlalchemy.exc.SQLAlchemyError, ValueError, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SweepError(f"cannot open the sweep storage {url!r}: {reason}") from None


def open_study(storage, study_name: str, objectives: tuple[str, ...], space: list[SweepParam], *,
               pruning: bool = True, seed: int | None = None) -> optuna.Study:
    """Creates the study, or loads it to resume: refused when it was made for other objectives or ranges."""
    import optuna

    wanted = directions(objectives)
    sampler = make_sampler(objectives, seed)
    study = optuna.create_study(storage=storage, study_name=study_name, directions=wanted, sampler=sampler,
                                pruner=make_pruner(objectives, pruning), load_if_exists=True)
    if [direction.name.lower() for direction in study.directions] != wanted:
        raise SweepError(f"the study {study_name!r} was made for other objectives "
                         f"({study.user_attrs.get('objectives', '?')}): name a new study with --study")
    known = study.user_attrs.get("objectives")
    if known is not None and tuple(known) != tuple(objectives):
        raise SweepError(f"the study {study_name!r} optimises {','.join(known)}, not {','.join(objectives)}: "
                         "name a new study with --study")
    study.set_user_attr("objectives", list(objectives))
    _check_same_space(study, study_name, space)
    return study


def make_pruner(objectives: tuple[str, ...], pruning: bool = True):
    """The median pruner; none for several objectives (Optuna prunes single-objective studies only, so a
    multi-objective trial always runs its epochs)."""
    import optuna

    return optuna.pruners.MedianPruner(n_startup_trials=2) if pruning and len(objectives) == 1 \
        else optuna.pruners.NopPruner()


def make_sampler(objectives: tuple[str, ...], seed: int | None = None):
    """NSGA-II for a Pareto front of several objectives, TPE for one."""
    import optuna

    return optuna.samplers.NSGAIISampler(seed=seed) if len(objectives) > 1 else optuna.samplers.TPESampler(seed=seed)


def _check_same_space(study, study_name: str, space: list[SweepParam]) -> None:
    """Optuna refuses a parameter whose range changed mid-study, inside a trial: say so before starting."""
    ours: dict = {}
    suggest_values(_Recorder(ours), space)
    for trial in study.get_trials(deepcopy=False):
        for name, distribution in trial.distributions.items():
            if name in ours and ours[name] != distribution:
                raise SweepError(f"the study {study_name!r} already sweeps {name} over another range "
                                 f"({distribution}): keep its range, or name a new study with --study")


class _Recorder:
    """Stands in for an Optuna trial to learn the distribution each parameter asks for."""

    def __init__(self, into: dict) -> None:
        self.into = into

    def suggest_float(self, name, low, high, *, log=False):
        import optuna

        self.into[name] = optuna.distributions.FloatDistribution(low, high, log=log)
        return low

    def suggest_int(self, name, low, high, *, log=False, step=1):
        import optuna

        self.into[name] = optuna.distributions.IntDistribution(low, high, log=log, step=step)
        return low

    def suggest_categorical(self, name, choices):
        import optuna

        self.into[name] = optuna.distributions.CategoricalDistribution(choices)
        return choices[0]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def fail_interrupted_trials(study) -> list:
    """Trials left RUNNING by a killed process of this machine become FAIL (``interrupted``) and their values
    are queued again, so a resumed sweep starts where it stopped. Trials of live processes stay running."""
    import optuna

    host = socket.gethostname()
    storage = study._storage  # noqa: SLF001 - Optuna's documented way to change a trial's state is the storage
    failed = []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        worker = str(trial.user_attrs.get(WORKER_ATTR, ""))
        name, _, pid = worker.rpartition(":")
        if name != host or not pid.isdigit() or _alive(int(pid)):
            continue
        try:  # another process resuming the same study may have taken it first
            storage.set_trial_user_attr(trial._trial_id, "interrupted", True)  # noqa: SLF001
            storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)  # noqa: SLF001
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
        failed.append(trial)
        if trial.params:
            study.enqueue_trial(trial.params)
    return failed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
