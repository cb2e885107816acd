"""The app's warm-up: what a first request needs is loaded, then hidden from the cyclic
collector (a full collection over the tables held a worker's GIL for 160-180 ms)."""

import gc

from api.app import warm_up
from api.settings import get_settings


def test_warm_up_leaves_the_collector_little_to_walk() -> None:
    gc.unfreeze()
    try:
        warm_up(get_settings().district_codes)
        assert gc.get_freeze_count() > 100_000  # the tables, and whatever the process held
        assert len(gc.get_objects()) < 1_000  # a full collection now walks these only
    finally:
        gc.unfreeze()
