"""A sweep's study lives in SQLite: a killed sweep resumes, and two processes work on one study."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna

REPO = Path(__file__).resolve().parents[3]


def sweep_process(project_file, *args: str) -> subprocess.Popen:
    """``convcanvas sweep`` of this worktree's engine, in its own process."""
    command = [sys.executable, "-m", "engine", "sweep", str(project_file), "--study", "tiny", *args]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})


def study_of(project_file) -> optuna.Study:
    storage = f"sqlite:///{Path(project_file).parent / 'runs' / 'sweeps.db'}"
    return optuna.load_study(study_name="tiny", storage=storage)


def wait_for_running_trial(project_file, process) -> list[optuna.trial.FrozenTrial]:
    """The trials running (with their values chosen), once there is one; polls the study."""
    for _ in range(600):
        running = [trial for trial in study_of(project_file).trials
                   if trial.state == optuna.trial.TrialState.RUNNING and trial.params]
        if running or process.poll() is not None:
            return running
        time.sleep(0.1)
    return []


def test_a_killed_sweep_resumes_where_it_stopped(project_file):
    args = ("--trials", "3", "--param", "lr=0.001..0.1", "--seed", "1", "--epochs", "3", "--no-pruning")
    first = sweep_process(project_file, *args)
    assert first.stdout.readline().startswith("study tiny in sqlite:")
    line = first.stdout.readline()  # trial 0 finished
    assert line.startswith("trial 0  complete"), line + first.stderr.read()
    running = wait_for_running_trial(project_file, first)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)  # reads and closes its pipes
    assert len(running) == 1  # left running by the killed process
    killed = running[0].number
    second = sweep_process(project_file, *args)
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err
    lines = out.splitlines()
    assert lines[1].startswith(f"trial {killed}  interrupted")
    trials = study_of(project_file).trials
    finished = [trial for trial in trials if trial.state == optuna.trial.TrialState.COMPLETE]
    assert len(finished) == 3 and trials[0].state == optuna.trial.TrialState.COMPLETE  # kept, not rerun
    assert trials[killed + 1].params == running[0].params  # the interrupted trial ran again first
    assert "study tiny: 4 trials (3 complete, 1 interrupted)" in lines


def test_two_processes_work_on_one_study(project_file):
    args = ("--trials", "4", "--param", "lr=0.001..0.1")
    workers = [sweep_process(project_file, *args) for _ in range(2)]
    outputs = [worker.communicate(timeout=600) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], [err for _, err in outputs]
    trials = study_of(project_file).trials
    assert len({trial.user_attrs["worker"] for trial in trials}) == 2  # both processes ran trials
    assert sum(trial.state == optuna.trial.TrialState.COMPLETE for trial in trials) >= 4
    assert len({trial.number for trial in trials}) == len(trials)  # no trial number given twice
    for out, _ in outputs:
        assert any(line.startswith("trial ") and "complete" in line for line in out.splitlines())
