"""The garbage collector paused while one batch (a `resolve`, a sync's plan) runs.  Pure of I/O.

A batch makes no reference cycles (after it a full collection finds nothing to free), but the objects it
keeps alive set off a full scan of the whole heap each time the heap grows by a quarter: on 27,000 rows
that was a quarter of `resolve`'s time (bench/bench_local.py --resolve-only). So the collector waits for
the batch to end, and what the batch made is then moved to the oldest generation without a scan (freeze,
unfreeze): the collector is left as it was, and the next young collection does not walk the whole batch.
"""

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
        gc.freeze()  # the batch's survivors (and the caller's young objects) to the permanent generation …
        gc.unfreeze()  # … and back into the oldest one: no scan of them now
        gc.enable()
