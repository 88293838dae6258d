"""The garbage collector paused while one batch (a `resolve`, a sync's plan, a workbook read) runs.  Pure of I/O.

The objects a batch keeps alive set off a full scan of the whole heap each time the heap grows by a quarter:
on 27,000 rows that was a quarter of `resolve`'s time (bench/bench_local.py --resolve-only). So the collector
waits for the batch to end. Then one young collection walks what the batch made, once, and frees the
reference cycles among it (few, but a parser's tree or an exception kept with its traceback makes some);
the survivors are moved to the oldest generation without further scans (freeze, unfreeze). Without that
young collection the cycles would reach the oldest generation uncounted, where CPython seldom looks: a
process syncing 10,000 hostile sheets in a row grew by gigabytes."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the garbage collector off; nested blocks leave it to the outermost one."""
    if not gc.isenabled():
        yield  # paused by a caller (or by the program): it decides when collection resumes
        return
    gc.disable()
    try:
        yield
    finally:
        gc.collect(0)  # what the batch made is all in the youngest generation: its cycles freed, once
        gc.freeze()  # the batch's survivors (and the caller's young objects) to the permanent generation …
        gc.unfreeze()  # … and back into the oldest one: no scan of them now
        gc.enable()
