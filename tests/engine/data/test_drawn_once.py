"""Generated sets are drawn once per process and handed out as copies (engine.data.drawn_once)."""
from __future__ import annotations

import torch

from engine.data import drawn_once
from engine.data.drawn_once import drawn
from engine.data.shapes import generate_shapes


def counting(calls: list):
    def generate(count, size, seed):
        calls.append((count, size, seed))
        return generate_shapes(count, size, seed)

    return generate


def test_a_set_is_drawn_once_and_each_caller_gets_its_own_copy():
    calls: list = []
    generate = counting(calls)
    images, labels = drawn(generate, 24, (12, 10), 7)
    again, same_labels = drawn(generate, 24, (12, 10), 7)
    assert len(calls) == 1
    assert torch.equal(images, again) and torch.equal(labels, same_labels)
    assert torch.equal(images, generate_shapes(24, (12, 10), 7)[0])  # the drawing itself, not another one
    images.zero_()  # a caller that changes its copy in place changes nobody else's
    assert torch.equal(drawn(generate, 24, (12, 10), 7)[0], again)
    drawn(generate, 24, (12, 10), 8)  # another seed, size or count is another drawing
    drawn(generate, 25, (12, 10), 7)
    assert len(calls) == 3


def test_the_oldest_drawings_go_once_the_memory_kept_is_full(monkeypatch):
    monkeypatch.setattr(drawn_once, "KEPT_BYTES", 24 * 3 * 12 * 10 * 4 + 24 * 8)  # one 24-image drawing
    calls: list = []
    generate = counting(calls)
    drawn(generate, 24, (12, 10), 1)
    drawn(generate, 24, (12, 10), 2)  # the first goes to make room
    drawn(generate, 24, (12, 10), 2)
    assert len(calls) == 2
    drawn(generate, 24, (12, 10), 1)
    assert len(calls) == 3
