"""The fast path: same results as eager, compiling only when it pays, and one line when it cannot compile."""
from __future__ import annotations

import contextlib
import copy
import math

import pytest
import torch
from torch import nn

from engine import Project, compile_graph, load_project, save_project
from engine.config import TrainingConfig
from engine.data import DataSplit, TensorData
from engine.training import Callback, StopToken, Trainer
from engine.training import fast_path
from engine.training.fast_path import (StepTrial, channels_last_input, choose_cpu_layout, compile_problem, decide,
                                       estimate_compile_seconds,
                                       expected_step_ratio, is_compile_failure, layer_mix, time_eager_steps,
                                       to_channels_last)

from .conftest import tiny_config, tiny_graph

PRESETS = __import__("pathlib").Path(__file__).resolve().parents[3] / "presets"


def eager_and_fast_copies():
    torch.manual_seed(0)
    eager = compile_graph(tiny_graph(), name="tiny")
    return eager, to_channels_last(copy.deepcopy(eager))


def forward_and_gradients(model: nn.Module, images: torch.Tensor, labels: torch.Tensor):
    model.train()
    logits = model(images)
    nn.functional.cross_entropy(logits, labels).backward()
    return logits.detach(), {name: p.grad.clone() for name, p in model.named_parameters()}


def test_channels_last_gives_the_eager_outputs_and_gradients():
    eager, fast = eager_and_fast_copies()
    assert fast.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    images, labels = torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(1)), torch.arange(16) % 3
    with torch.random.fork_rng():  # the same dropout mask for both
        want_logits, want_grads = forward_and_gradients(eager, images, labels)
    fast_logits, fast_grads = forward_and_gradients(fast, channels_last_input(images), labels)
    torch.testing.assert_close(fast_logits, want_logits, rtol=1e-5, atol=1e-6)
    for name, grad in want_grads.items():
        torch.testing.assert_close(fast_grads[name], grad, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_the_compiled_network_gives_the_eager_outputs():
    """torch.compile takes tens of seconds on a 2-core CPU: slow."""
    if compile_problem(torch.device("cpu")):
        pytest.skip(compile_problem(torch.device("cpu")))
    eager, fast = eager_and_fast_copies()
    eager.eval(), fast.eval()  # no dropout: the outputs must match number for number
    images = torch.randn(8, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(torch.compile(fast)(channels_last_input(images)), eager(images),
                               rtol=1e-4, atol=1e-5)


def real_eager_step(model: nn.Module, batch: int = 32) -> float:
    graph_input = torch.randn(batch, 1, 8, 8)
    return time_eager_steps(model, graph_input, torch.arange(batch) % 3, nn.CrossEntropyLoss(),
                            contextlib.nullcontext)


def test_the_estimator_expects_more_from_normalised_networks_and_longer_compiles_from_bigger_ones():
    lenet = load_project(PRESETS / "lenet5.cnn.json").graph
    resnet = load_project(PRESETS / "resnet18.cnn.json").graph
    lenet_mix, resnet_mix = layer_mix(compile_graph(lenet)), layer_mix(compile_graph(resnet))
    assert resnet_mix.norms == 20 and lenet_mix.norms == 0
    # The two measurements the constants come from (issue 19): 0.96x / 27 s and 0.83x / 44 s.
    assert expected_step_ratio(lenet_mix) == pytest.approx(0.96, abs=0.01)
    assert expected_step_ratio(resnet_mix) == pytest.approx(0.83, abs=0.01)
    assert estimate_compile_seconds(lenet_mix) == pytest.approx(27, abs=1)
    assert estimate_compile_seconds(resnet_mix) == pytest.approx(44, abs=1)


def test_a_short_run_does_not_compile_and_a_long_enough_one_does_with_the_real_estimator():
    eager, _ = eager_and_fast_copies()
    step = real_eager_step(eager)
    assert 0 < step < 60
    mix = layer_mix(eager)

    short = decide("Tiny", mix, step, run_steps=200)
    assert not short.compile and math.isfinite(short.break_even_steps) and short.break_even_steps > 200
    assert short.message.startswith("fast path: not compiling Tiny: it would need ~")
    assert short.message.endswith("compile; this run has 200")

    long_run = int(short.break_even_steps * 3)
    long = decide("Tiny", mix, step, run_steps=long_run)
    assert long.compile and long.break_even_steps == short.break_even_steps
    assert long.message.startswith("fast path: compiling Tiny (~")
    assert f"this run has {long_run:,}" in long.message and "pays after ~" in long.message


def test_a_fast_run_that_does_not_compile_trains_the_same_curves_as_a_normal_one(data):
    # SGD, not Adam: Adam turns float noise in the conv bias's ~zero gradient (BatchNorm cancels it) into
    # whole ±lr steps, so two runs differing only in summation order drift apart by design.
    settings = dict(optimizer="sgd", lr=0.05)
    normal = Trainer(Project(tiny_graph(), "Tiny", training=tiny_config(**settings))).fit(data)
    fast = Trainer(Project(tiny_graph(), "Tiny", training=tiny_config(fast=True, **settings))).fit(data)
    assert any(note.startswith("fast path: not compiling Tiny: it would need") for note in fast.notes)
    assert not any(note.startswith("fast path") for note in normal.notes)
    for mine, theirs in zip(fast.history, normal.history, strict=True):
        assert mine["train_loss"] == pytest.approx(theirs["train_loss"], rel=1e-4)
        assert mine["val_loss"] == pytest.approx(theirs["val_loss"], rel=1e-4)


def test_without_a_cpp_compiler_the_fast_path_says_why_and_trains_eager(data):
    from torch._inductor import config

    with config.patch({"cpp.cxx": (None, "/nonexistent/g++")}):
        assert "no working C++ compiler (/nonexistent/g++)" in compile_problem(torch.device("cpu"))
        result = Trainer(Project(tiny_graph(), "Tiny", training=tiny_config(fast=True, epochs=1))).fit(data)
    assert ("fast path: not compiling: no working C++ compiler (/nonexistent/g++) for torch.compile's inductor "
            "backend; install one (e.g. g++) or set CXX; training eager") in result.notes
    assert result.epochs_completed == 1
    assert compile_problem(torch.device("cpu")) is None  # g++ is back


def test_a_backend_failure_is_told_apart_from_an_error_in_the_network():
    def broken_backend(graph_module, example_inputs):
        raise RuntimeError("this backend cannot compile")

    model = nn.Linear(4, 2)
    with pytest.raises(Exception) as compiling:
        torch.compile(model, backend=broken_backend)(torch.randn(3, 4))
    assert is_compile_failure(compiling.value)
    with pytest.raises(RuntimeError) as shapes:
        model(torch.randn(3, 5))
    assert not is_compile_failure(shapes.value)


class StopAfter(Callback):
    def __init__(self, stop: StopToken, batches: int) -> None:
        self.stop, self.batches = stop, batches

    def on_batch_end(self, state, metrics):
        if state.global_step >= self.batches:
            self.stop.stop()


@pytest.mark.slow
def test_a_run_long_enough_to_pay_compiles_and_trains(data):
    if compile_problem(torch.device("cpu")):
        pytest.skip(compile_problem(torch.device("cpu")))
    from engine.training.compile_memory import measurements_path

    stop = StopToken()
    trial_steps = len(StepTrial().plan)  # eager steps, the compile, compiled steps: then the verdict
    result = Trainer(long_fast_project(), callbacks=[StopAfter(stop, trial_steps + 1)], stop=stop,
                     report_interval=0).fit(data)
    assert any(note.startswith("fast path: compiling Tiny") for note in result.notes), result.notes
    assert not any("compiling failed" in note for note in result.notes)
    # Which way the trial goes depends on this machine; that it measures and says so does not.
    verdicts = [note for note in result.notes if note.startswith("fast path: compiled Tiny in ")]
    assert len(verdicts) == 1 and ("; a step takes " in verdicts[0] or verdicts[0].endswith(": training eager"))
    assert "Tiny" not in measurements_path().read_text() and "batch 2" in measurements_path().read_text()
    assert result.stopped and math.isfinite(result.history[-1]["train_loss"] if result.history else 0.0)


def long_fast_project() -> Project:
    """4.8 million steps: far more than any machine needs to pay back compiling the tiny network."""
    return Project(tiny_graph(), "Tiny", training=tiny_config(fast=True, epochs=100_000, batch_size=2))


class CompilerGoneAfterTheDecision(Callback):
    """The C++ compiler disappears between the decision and the first (compiling) step."""

    def on_fit_start(self, state):
        from torch._inductor import config

        self.patch = config.patch({"cpp.cxx": (None, "/nonexistent/g++"), "force_disable_caches": True})
        self.patch.__enter__()

    def on_fit_end(self, state, result):
        self.patch.__exit__(None, None, None)

    on_exception = on_fit_end


@pytest.mark.slow
def test_a_compile_that_fails_at_the_first_step_falls_back_to_eager_with_one_line(data):
    if compile_problem(torch.device("cpu")):
        pytest.skip(compile_problem(torch.device("cpu")))
    stop = StopToken()
    compiling_step = StepTrial().plan.index("compile") + 1
    result = Trainer(long_fast_project(), callbacks=[CompilerGoneAfterTheDecision(), StopAfter(stop, compiling_step + 1)],
                     stop=stop, report_interval=0).fit(data)
    assert any(note.startswith("fast path: compiling Tiny") for note in result.notes), result.notes
    failed = [note for note in result.notes if note.startswith("fast path: compiling failed (")]
    assert len(failed) == 1 and failed[0].endswith("); training eager") and "\n" not in failed[0], failed
    assert result.stopped and compile_problem(torch.device("cpu")) is None


def test_the_fast_setting_defaults_off_and_survives_a_project_file(tmp_path):
    assert TrainingConfig().fast is False
    assert TrainingConfig.from_dict({}).fast is False
    project = Project(tiny_graph(), "Tiny", training=tiny_config(fast=True))
    assert load_project(save_project(project, tmp_path / "fast.cnn.json")).training.fast is True


def run_trial(eager: float, compiled: float, compile_seconds: float) -> StepTrial:
    """A trial fed the step times a run would measure (seconds)."""
    trial = StepTrial(eager_timed=3, compiled_warm=1, compiled_timed=3)
    phases = []
    while trial.phase is not None:
        phases.append(trial.phase)
        trial.record({"eager warm-up": 9.0, "eager": eager, "compile": compile_seconds + compiled,
                      "compiled warm-up": 5.0, "compiled": compiled}[trial.phase])
    assert phases == ["eager warm-up", "eager", "eager", "eager", "compile", "compiled warm-up", "compiled",
                      "compiled", "compiled"]
    return trial


def test_the_trial_runs_eager_steps_first_and_compiled_ones_after_the_compile():
    trial = StepTrial(eager_timed=1, compiled_warm=0, compiled_timed=1)
    assert not trial.compiled  # eager warm-up
    trial.record(1.0)
    assert not trial.compiled
    trial.record(1.0)
    assert trial.phase == "compile" and trial.compiled


def test_compiled_steps_that_are_not_faster_send_the_run_back_to_eager_saying_why():
    keep, message = run_trial(eager=0.100, compiled=0.120, compile_seconds=40).verdict("ResNet-18", 9000, 10000)
    assert not keep
    assert message == ("fast path: compiled ResNet-18 in 40 s, but a compiled step took 120 ms against 100 ms "
                       "eager (1.20x): training eager")


def test_faster_compiled_steps_are_kept_with_the_measured_break_even():
    keep, message = run_trial(eager=0.100, compiled=0.080, compile_seconds=40).verdict("ResNet-18", 9990, 10000)
    assert keep  # 40 s / 20 ms saved per step = 2,000 steps
    assert message == ("fast path: compiled ResNet-18 in 40 s; a step takes 80 ms against 100 ms eager (0.80x): "
                       "pays after ~2,000 steps; this run has 10,000 (9,990 to go)")


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_the_fused_optimizer_of_the_fast_path_takes_the_same_step(optimizer):
    from engine.training.optim import build_optimizer

    torch.manual_seed(0)
    plain = nn.Linear(6, 4)
    fused = copy.deepcopy(plain)
    config = TrainingConfig(optimizer=optimizer, lr=0.01, weight_decay=1e-4)
    optimizers = [build_optimizer(plain.parameters(), config),
                  build_optimizer(fused.parameters(), config, fused=True)]
    assert optimizers[1].defaults["fused"] and not optimizers[0].defaults.get("fused")
    images = torch.randn(16, 6, generator=torch.Generator().manual_seed(3))
    for _ in range(5):
        for model, step in zip((plain, fused), optimizers):
            step.zero_grad()
            model(images).square().mean().backward()
            step.step()
    for mine, theirs in zip(fused.parameters(), plain.parameters()):
        torch.testing.assert_close(mine, theirs, rtol=1e-5, atol=1e-6)


def test_a_later_run_decides_from_what_an_earlier_run_measured():
    from engine.training.compile_memory import Measured, measurement_key, measurements_path, recall, remember

    eager, _ = eager_and_fast_copies()
    key = measurement_key(eager, torch.device("cpu"), 32)
    assert recall(key) is None
    trial = run_trial(eager=0.100, compiled=0.104, compile_seconds=30)
    remember(key, trial.measured())
    assert recall(key) == Measured(30.0, 1.04)
    never = decide("ResNet-18", layer_mix(eager), 0.1, run_steps=10**6, measured=recall(key))
    assert not never.compile
    assert never.message == ("fast path: not compiling ResNet-18: an earlier run measured a compiled step at 1.04x "
                             "of eager, so compiling never pays back")
    pays = decide("ResNet-18", layer_mix(eager), 0.1, run_steps=12_500, measured=Measured(30.0, 0.8))
    assert pays.compile and pays.message == ("fast path: compiling ResNet-18 (~30 s): pays after ~1,500 steps; this "
                                             "run has 12,500 (as measured in an earlier run)")
    measurements_path().write_text("{not json", encoding="utf-8")
    assert recall(key) is None  # a damaged cache means estimating again, not an error


def test_on_a_cpu_the_fast_path_keeps_channels_last_only_when_a_step_is_clearly_faster():
    faster = choose_cpu_layout(default_seconds=0.041, channels_last_seconds=0.034)
    assert faster.channels_last and faster.chosen_seconds == 0.034
    assert faster.message == "fast path: channels-last memory (a step took 34 ms against 41 ms in the default layout)"
    slower = choose_cpu_layout(default_seconds=0.100, channels_last_seconds=0.119)
    assert not slower.channels_last and slower.chosen_seconds == 0.100
    assert slower.message == "fast path: default memory layout (a channels-last step took 119 ms against 100 ms)"
    assert not choose_cpu_layout(default_seconds=0.100, channels_last_seconds=0.097).channels_last  # a tie: noise


@pytest.mark.parametrize("gain, channels_last", [(-1e9, True), (1.0, False)])
def test_a_fast_cpu_run_times_both_layouts_trains_in_the_chosen_one_and_learns_the_same(data, monkeypatch, gain,
                                                                                        channels_last):
    # The threshold moved so the choice is certain whatever the timings: -1e9 always keeps channels_last,
    # 1.0 (a step in no time at all) never does. Before, a CPU run never trained channels_last.
    monkeypatch.setattr(fast_path, "CHANNELS_LAST_MIN_GAIN", gain)
    # Two input channels: with one, a conv weight is laid out the same in both formats.
    data = DataSplit(*(TensorData(part.images.repeat(1, 2, 1, 1), part.labels) for part in (data.train, data.val)),
                     class_names=data.class_names, input_shape=(2, 8, 8), mean=(0.0, 0.0), std=(1.0, 1.0),
                     source=data.source)
    settings = dict(optimizer="sgd", lr=0.05)  # SGD: see the test above on Adam and float noise
    normal = Trainer(Project(tiny_graph(channels=2), "Tiny", training=tiny_config(**settings))).fit(data)
    fast = Trainer(Project(tiny_graph(channels=2), "Tiny", training=tiny_config(fast=True, **settings))).fit(data)
    layout = [note for note in fast.notes if "memory" in note]
    assert len(layout) == 1 and layout[0].startswith(
        "fast path: channels-last memory" if channels_last else "fast path: default memory layout")
    assert fast.model.conv1.weight.is_contiguous(memory_format=torch.channels_last) == channels_last
    for mine, theirs in zip(fast.history, normal.history, strict=True):
        assert mine["train_loss"] == pytest.approx(theirs["train_loss"], rel=1e-4)
        assert mine["val_loss"] == pytest.approx(theirs["val_loss"], rel=1e-4)
