"""The optional fast path (the ``fast`` setting, ``convcanvas train --fast``).

It turns on what makes a step cheaper without changing its result: a fused
optimizer step (one kernel for all weights), channels_last memory format, ``torch.backends.cudnn.benchmark`` and mixed
precision on CUDA (channels_last made a ResNet-18 CPU step 1.19x slower
here, so the CPU keeps its NCHW layout), and ``torch.compile`` — but compiling costs tens of
seconds up front (27 s for LeNet-5, 44 s for ResNet-18 on a 2-core CPU) and
saves only a share of each step, so it is done only when this run has
enough steps to pay it back. The estimate: compile seconds from the
network's layer count, the share of a step compiling saves from its mix of
layers (pointwise layers and normalisations fuse; convolutions and matrix
products run the same kernels either way), and the eager step time from
timing a couple of real eager steps. Whatever it chooses, it says so in one
line; once compiled, the run times its first compiled steps against its first
eager ones (``StepTrial``) and goes back to eager, saying so, when compiling
did not make a step faster. A missing backend (no C++ compiler for inductor, no Triton on CUDA)
means eager, with one line saying why.
"""
from __future__ import annotations

import copy
import math
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import torch
from torch import nn

from .compile_memory import Measured

# Cold-cache compile time of inductor, fitted to the two networks measured on this project's 2-core CPU
# (torch 2.14, issue 19): LeNet-5 (14 graph nodes) 27 s, ResNet-18 (71 nodes) 44 s.
COMPILE_BASE_SECONDS = 22.8
COMPILE_SECONDS_PER_NODE = 0.30
# The share of an eager step compiling saves, per share of the network's layers that fuse. Fitted to the
# same measurements: LeNet-5 (activations only) stepped at 0.96x of eager, ResNet-18 (BatchNorm, ReLU,
# residual adds) at 0.83x. Normalisations in training mode are where inductor's fusion pays most.
POINTWISE_SAVING = 0.11
NORM_SAVING = 0.45
# Eager steps timed to estimate the per-step saving (after one warm-up step).
TIMED_STEPS = 2

_NORM_MODULES = ("torch.nn.modules.batchnorm", "torch.nn.modules.normalization", "torch.nn.modules.instancenorm")
_POINTWISE_MODULES = ("torch.nn.modules.activation", "torch.nn.modules.dropout")


@dataclass(frozen=True)
class LayerMix:
    """How many of a network's layers are of the kinds compiling fuses."""

    nodes: int
    layers: int
    pointwise: int
    norms: int


def layer_mix(model: torch.fx.GraphModule) -> LayerMix:
    layers = pointwise = norms = 0
    for node in model.graph.nodes:
        if node.op == "call_module":
            kind = type(model.get_submodule(node.target)).__module__
            norms += kind in _NORM_MODULES
            pointwise += kind in _POINTWISE_MODULES
        elif node.op == "call_function":  # adds, concatenations: elementwise joins
            pointwise += 1
        else:
            continue
        layers += 1
    return LayerMix(len(model.graph.nodes), max(layers, 1), pointwise, norms)


def estimate_compile_seconds(mix: LayerMix) -> float:
    return COMPILE_BASE_SECONDS + COMPILE_SECONDS_PER_NODE * mix.nodes


def expected_step_ratio(mix: LayerMix) -> float:
    """A compiled step's time as a share of an eager one."""
    saving = POINTWISE_SAVING * mix.pointwise / mix.layers + NORM_SAVING * mix.norms / mix.layers
    return max(0.5, 1.0 - saving)


@dataclass(frozen=True)
class CompileDecision:
    compile: bool
    message: str
    """One line for the run's notes: what was chosen and why."""
    run_steps: int
    eager_step_seconds: float
    compile_seconds: float
    step_ratio: float
    break_even_steps: float
    """Steps after which the compile has paid for itself (inf when compiling saves nothing)."""


def decide(name: str, mix: LayerMix, eager_step_seconds: float, run_steps: int,
           measured: Measured | None = None) -> CompileDecision:
    """Compile when this run's steps save more than the compile costs.

    ``measured``: what an earlier run of this network measured (``compile_memory``); without it, the
    compile time and the step ratio are estimated from the layer mix."""
    compile_seconds = measured.compile_seconds if measured else estimate_compile_seconds(mix)
    ratio = measured.step_ratio if measured else expected_step_ratio(mix)
    source = " (as measured in an earlier run)" if measured else ""
    saved = eager_step_seconds * (1.0 - ratio)
    break_even = compile_seconds / saved if saved > 0 else math.inf
    pays = run_steps > break_even
    need = "never pays back" if math.isinf(break_even) else f"pays after ~{_round(break_even):,} steps"
    if pays:
        message = (f"fast path: compiling {name} (~{compile_seconds:.0f} s): {need}; this run has "
                   f"{run_steps:,}{source}")
    elif saved > 0:
        message = (f"fast path: not compiling {name}: it would need ~{_round(break_even):,} steps to pay back a "
                   f"~{compile_seconds:.0f} s compile; this run has {run_steps:,}{source}")
    elif measured:
        message = (f"fast path: not compiling {name}: an earlier run measured a compiled step at {ratio:.2f}x "
                   f"of eager, so compiling never pays back")
    else:
        message = f"fast path: not compiling {name}: compiling it {need}"
    return CompileDecision(pays, message, run_steps, eager_step_seconds, compile_seconds, ratio, break_even)


def _round(steps: float) -> int:
    """Two significant figures: the estimate is no finer than that."""
    if not math.isfinite(steps):
        return 0
    digits = max(0, len(str(int(steps))) - 2)
    return int(round(steps, -digits))


def fused_optimizer_supported(device: torch.device) -> bool:
    """torch's fused Adam/AdamW/SGD update every tensor in one kernel: on this project's 2-core CPU an Adam
    step of ResNet-18's 11.7 M weights took 20 ms fused against 106 ms as the default for-each loop (issue 19).
    Same arithmetic, so the same results within float rounding."""
    return device.type in ("cpu", "cuda")


class StepTrial:
    """Whether compiling paid, measured in the run itself rather than trusted from the estimate.

    The run's first steps go eager (one warm-up, then ``eager_timed`` timed), then the compiling step
    (its time, less a compiled step's, is the compile time), ``compiled_warm`` steps untimed (inductor
    and the allocator settle) and ``compiled_timed`` timed. ``verdict`` compares the medians: a
    compiled step that is not faster sends the run back to eager, with one line saying why. Measured,
    because the estimate was wrong here: on torch 2.14 and a 2-core CPU, compiled ResNet-18's backward
    ran slower than eager's and a step took 1.01-1.29x of eager."""

    def __init__(self, eager_timed: int = 3, compiled_warm: int = 2, compiled_timed: int = 4) -> None:
        self.plan = ["eager warm-up", *["eager"] * eager_timed, "compile", *["compiled warm-up"] * compiled_warm,
                     *["compiled"] * compiled_timed]
        self.times: dict[str, list[float]] = {}

    @property
    def phase(self) -> str | None:
        """What the next step is: ``eager…``, ``compile``, ``compiled…``, or None when the trial is over."""
        done = sum(len(values) for values in self.times.values())
        return self.plan[done] if done < len(self.plan) else None

    @property
    def compiled(self) -> bool:
        """Whether the next step runs the compiled network."""
        phase = self.phase
        return phase is not None and not phase.startswith("eager")

    def record(self, seconds: float) -> None:
        self.times.setdefault(self.phase, []).append(seconds)

    def measured(self) -> Measured:
        eager, compiled = statistics.median(self.times["eager"]), statistics.median(self.times["compiled"])
        return Measured(max(0.0, self.times["compile"][0] - compiled), compiled / eager)

    def verdict(self, name: str, steps_left: int, run_steps: int) -> tuple[bool, str]:
        """(keep the compiled network, the line that says what was measured and chosen)."""
        eager, compiled = statistics.median(self.times["eager"]), statistics.median(self.times["compiled"])
        ratio = compiled / eager
        compile_seconds = self.measured().compile_seconds
        figures = f"{compiled * 1e3:.0f} ms against {eager * 1e3:.0f} ms eager ({ratio:.2f}x)"
        if compiled >= eager:
            return False, (f"fast path: compiled {name} in {compile_seconds:.0f} s, but a compiled step took "
                           f"{figures}: training eager")
        break_even = compile_seconds / (eager - compiled)
        return True, (f"fast path: compiled {name} in {compile_seconds:.0f} s; a step takes {figures}: pays after "
                      f"~{_round(break_even):,} steps; this run has {run_steps:,} ({steps_left:,} to go)")


def compile_problem(device: torch.device) -> str | None:
    """Why ``torch.compile`` cannot run here (one line), or None when it can."""
    try:
        import torch._dynamo
    except Exception as error:  # noqa: BLE001 - any import failure means no compiler
        return f"torch.compile is unavailable in this PyTorch ({type(error).__name__})"
    if not torch._dynamo.is_dynamo_supported():
        return f"torch.compile does not support this Python with PyTorch {torch.__version__}"
    if device.type == "mps":
        return "torch.compile does not support Apple GPUs (MPS) well yet"
    if device.type == "cuda":
        from torch.utils._triton import has_triton

        if not has_triton():
            return "Triton is not installed, and torch.compile needs it on CUDA (pip install triton)"
        return None
    try:
        from torch._inductor.cpp_builder import get_cpp_compiler

        get_cpp_compiler()
    except Exception:  # noqa: BLE001 - InvalidCxxCompiler, or a compiler that does not run
        from torch._inductor import config

        wanted = next((name for name in config.cpp.cxx if name), "g++")
        return (f"no working C++ compiler ({wanted}) for torch.compile's inductor backend; install one "
                "(e.g. g++) or set CXX")
    return None


def is_compile_failure(error: BaseException) -> bool:
    """Errors raised by torch.compile's tracing or backend (not by the network's own maths)."""
    return type(error).__module__.startswith(("torch._dynamo", "torch._inductor"))


def uses_channels_last(device: torch.device) -> bool:
    """CUDA's convolutions prefer NHWC always; on a CPU it depends on the network (``time_layouts``)."""
    return device.type == "cuda"


# channels_last is kept on a CPU only when a step is at least this much faster: a tie is noise.
CHANNELS_LAST_MIN_GAIN = 0.05


@dataclass(frozen=True)
class LayoutTiming:
    channels_last: bool
    default_seconds: float
    channels_last_seconds: float
    message: str

    @property
    def chosen_seconds(self) -> float:
        return self.channels_last_seconds if self.channels_last else self.default_seconds


def choose_cpu_layout(default_seconds: float, channels_last_seconds: float) -> LayoutTiming:
    """On a CPU the faster layout depends on the network: on this project's 2-core CPU channels_last made an
    eager ResNet-18 step 1.19x slower, but a unet-small step (8-32 channels) 1.2x faster (and its
    run 1.3x faster with the fused optimiser). So the fast path times one step in each and keeps the faster."""
    keep = channels_last_seconds < (1.0 - CHANNELS_LAST_MIN_GAIN) * default_seconds
    figures = f"{channels_last_seconds * 1e3:.0f} ms against {default_seconds * 1e3:.0f} ms"
    message = (f"fast path: channels-last memory (a step took {figures} in the default layout)" if keep else
               f"fast path: default memory layout (a channels-last step took {figures})")
    return LayoutTiming(keep, default_seconds, channels_last_seconds, message)


def time_layouts(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, criterion: nn.Module,
                 autocast: Callable[[], AbstractContextManager]) -> LayoutTiming:
    """Times a step in the default layout and in channels_last (on copies) and chooses."""
    default = time_eager_steps(model, images, labels, criterion, autocast)
    channels_last = time_eager_steps(to_channels_last(copy.deepcopy(model)), channels_last_input(images), labels,
                                     criterion, autocast)
    return choose_cpu_layout(default, channels_last)


def to_channels_last(model: nn.Module) -> nn.Module:
    """4-D weights in channels_last order: convolutions read NHWC without transposing each step."""
    return model.to(memory_format=torch.channels_last)


def channels_last_input(images: torch.Tensor) -> torch.Tensor:
    return images.contiguous(memory_format=torch.channels_last) if images.dim() == 4 else images


def time_eager_steps(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                     criterion: nn.Module, autocast: Callable[[], AbstractContextManager]) -> float:
    """Median seconds of a forward and backward pass, on a copy (the run's weights, BatchNorm statistics
    and random numbers stay as they were)."""
    probe = copy.deepcopy(model)
    probe.train()
    times = []
    with torch.random.fork_rng(devices=[images.device] if images.device.type == "cuda" else []):
        for _ in range(1 + TIMED_STEPS):
            started = time.perf_counter()
            with autocast():
                loss = criterion(probe(images), labels)
            loss.backward()
            probe.zero_grad(set_to_none=True)
            if images.device.type == "cuda":
                torch.cuda.synchronize(images.device)
            times.append(time.perf_counter() - started)
    return statistics.median(times[1:])
