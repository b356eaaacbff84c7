"""The generated bundled sets (shapes, seg-shapes, det-shapes, face-shapes), drawn once per process.

Drawing is deterministic but takes seconds (1,000 det-shapes images at 64×64: 3–11 s on 2 cores), and
the same set is asked for again and again: the Data view and then the trainer, every run of a session
with the same settings, and every test that trains on it. ``drawn`` keeps the latest drawings (up to
``KEPT_BYTES``) and hands out copies, so no caller can change what the next one gets.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

#: Memory kept for drawings; the oldest go first (the largest default set, det-shapes, is ~50 MB).
KEPT_BYTES = 160 * 2**20

_kept: OrderedDict[tuple, tuple[Any, ...]] = OrderedDict()
_lock = threading.Lock()  # background look-ups and the training thread draw at the same time


def drawn(generator: Callable[..., tuple[Any, ...]], count: int, size: tuple[int, int], seed: int) -> tuple[Any, ...]:
    """``generator(count, size, seed)``'s tensors, drawn on the first call with these arguments, copied after."""
    key = (generator, int(count), tuple(int(side) for side in size), int(seed))
    with _lock:
        tensors = _kept.get(key)
        if tensors is not None:
            _kept.move_to_end(key)
    if tensors is None:
        tensors = tuple(generator(count, size, seed))
        with _lock:
            _kept[key] = tensors
            while len(_kept) > 1 and sum(_bytes(kept) for kept in _kept.values()) > KEPT_BYTES:
                _kept.popitem(last=False)
    return tuple(tensor.clone() for tensor in tensors)


def _bytes(tensors: tuple[Any, ...]) -> int:
    return sum(tensor.element_size() * tensor.nelement() for tensor in tensors)
