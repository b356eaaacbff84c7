"""torch.distributed for runs launched by torchrun (several processes, one model).

``torchrun --nproc_per_node=N -m engine train ...`` starts N copies of the
command with RANK, LOCAL_RANK and WORLD_SIZE in their environment. Each
process trains on its own share of every epoch's batches; gradients are
averaged by DistributedDataParallel; metrics are summed across processes so
that every rank sees the same numbers; only rank 0 writes files.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .errors import TrainingError


@dataclass
class DistributedContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False
    """True when this run started the process group (and so must destroy it)."""
    device: torch.device = torch.device("cpu")
    """Where collective operations run (set by ``start``)."""

    @property
    def active(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def shard(self) -> tuple[int, int] | None:
        return (self.rank, self.world_size) if self.active else None

    def start(self, device: torch.device) -> None:
        """Joins the process group: gloo on the CPU, nccl on CUDA."""
        self.device = device
        if not self.active or dist.is_initialized():
            return
        backend = "nccl" if device.type == "cuda" else "gloo"
        try:
            dist.init_process_group(backend=backend, init_method="env://", rank=self.rank,
                                    world_size=self.world_size)
        except (RuntimeError, ValueError) as error:
            raise TrainingError(f"cannot join the distributed run (rank {self.rank} of {self.world_size}, "
                                f"{backend}): {str(error).splitlines()[0]}") from None
        self.owns_group = True

    def stop(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
        self.owns_group = False

    def sum_(self, tensor: torch.Tensor) -> torch.Tensor:
        """Sums ``tensor`` over all ranks, in place (a no-op in a single process)."""
        return self._all_reduce(tensor, dist.ReduceOp.SUM)

    def max_(self, tensor: torch.Tensor) -> torch.Tensor:
        return self._all_reduce(tensor, dist.ReduceOp.MAX)

    def _all_reduce(self, tensor: torch.Tensor, op) -> torch.Tensor:
        if not self.active:
            return tensor
        if self.device.type == "cuda" and tensor.device.type != "cuda":  # nccl reduces GPU tensors only
            moved = tensor.to(self.device)
            dist.all_reduce(moved, op=op)
            return tensor.copy_(moved)
        dist.all_reduce(tensor, op=op)
        return tensor

    def barrier(self) -> None:
        if self.active:
            dist.barrier()


def distributed_from_env() -> DistributedContext:
    """The context torchrun describes in the environment (a single process without it)."""
    if dist.is_available() and dist.is_initialized():
        return DistributedContext(dist.get_rank(), dist.get_world_size(),
                                  int(os.environ.get("LOCAL_RANK", dist.get_rank())))
    try:
        world_size = int(os.environ.get("WORLD_SIZE", "1"))
        rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", str(rank)))
    except ValueError:
        raise TrainingError("WORLD_SIZE, RANK and LOCAL_RANK must be whole numbers (as torchrun sets them)") from None
    if world_size > 1 and not dist.is_available():
        raise TrainingError("this PyTorch was built without torch.distributed, so it cannot run under torchrun")
    return DistributedContext(rank, max(world_size, 1), local_rank)
