"""io.blocks.ordered_blocks: results in the jobs' order, at most per_worker × workers in
flight, and closing early cancels what has not started."""

from __future__ import annotations

import threading
import time
from contextlib import closing

from espass_geo.io.blocks import ordered_blocks


def test_order_and_bounded_look_ahead():
    started: list[int] = []
    lock = threading.Lock()

    def work(k):
        with lock:
            started.append(k)
        time.sleep(0.002 * (k % 3))  # finish out of order
        return k * k

    out = []
    for r in ordered_blocks(work, range(40), workers=2, per_worker=2):
        # when the r-th result (r = k²) is consumed, at most 2 × 2 jobs were submitted ahead
        k = int(round(r ** 0.5))
        with lock:
            assert len(started) <= k + 1 + 4
        out.append(r)
    assert out == [k * k for k in range(40)]


def test_closing_early_cancels_the_rest():
    done: list[int] = []

    def work(k):
        done.append(k)
        return k

    with closing(ordered_blocks(work, range(100), workers=2, per_worker=2)) as blocks:
        for r in blocks:
            if r == 3:
                break
    # the pool was drained when the iterator closed: 4 consumed + at most 4 in flight
    assert len(done) <= 3 + 1 + 4
