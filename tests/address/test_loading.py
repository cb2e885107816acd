"""``load_once``: a loader runs once a process, however many threads ask at the same time."""

import threading
import time

from address.loading import load_once


def test_threads_that_ask_together_wait_for_one_load():
    calls = []

    @load_once
    def slow() -> list[int]:
        calls.append(1)
        time.sleep(0.2)
        return [42]

    results: list[list[int]] = []
    threads = [threading.Thread(target=lambda: results.append(slow())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert all(r is results[0] for r in results) and results[0] == [42]
