"""`sync.batch.collector_paused`: the collector waits for a batch, then frees the cycles the batch made."""

from __future__ import annotations

import gc
import weakref

from sync.batch import collector_paused


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_a_cycle_made_in_a_batch_is_freed_when_it_ends() -> None:
    assert gc.isenabled()
    gc.collect()
    with collector_paused():
        assert not gc.isenabled()
        made = _cycle()
        assert made() is not None  # no collection during the batch
    assert gc.isenabled()
    # freed by the batch's own young collection, not left in the oldest generation for a full collection
    assert made() is None


def test_what_a_batch_keeps_survives_it() -> None:
    with collector_paused():
        kept = [_Node() for _ in range(1000)]
    gc.collect()
    assert len(kept) == 1000 and all(isinstance(n, _Node) for n in kept)


def test_a_nested_batch_leaves_the_collector_to_the_outer_one() -> None:
    with collector_paused():
        with collector_paused():
            inner = _cycle()
        assert not gc.isenabled() and inner() is not None
    assert gc.isenabled() and inner() is None
