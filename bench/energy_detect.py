"""The behaviour detectors (spike, level shift, night base-load creep) on a sample plan's true
series, without a database: seconds, not the ~50 minutes of ``bench/energy_quality.py``, so a
detector can be tried on one seed and reported on another.

    python bench/energy_detect.py [--seed 11] [--days 365] [--chunk-days 62]

Each meter's true 15-minute series (``sample_series.truth``: behaviour anomalies in, no data
faults) is cut into chunks of ``--chunk-days`` local days as the sample load's recompute takes
them (``recompute_all``'s ``max_days``), each chunk judged by ``anomaly.detect`` against the
baseline of the 28 days before it, as ``alarms.scan_spans`` does; scored as in
``bench/energy_quality.py``. What it leaves out: cleaning (estimated spreads over gaps, flags) and
the kept baselines' staleness — the full bench remains the reference. Prints JSON.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from energy_quality import BEHAVIOUR, DETECTED, SAMPLE, score_anomalies

from data.generate import energy_park
from layers.energy import anomaly, sample_park, sample_series
from layers.energy.alarms import HISTORY

DAY = 96  # slots


def detect_meter(ts: np.ndarray, values: np.ndarray, chunk: int) -> list[anomaly.Event]:
    history = int(HISTORY.total_seconds()) // 900
    events = []
    for a in range(0, len(values), chunk * DAY):
        b = min(a + chunk * DAY, len(values))
        lo = max(a - history, 0)
        events += anomaly.detect(ts[a:b], values[a:b], [None] * (b - a),
                                 (ts[lo:a], values[lo:a]))
    return events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--chunk-days", type=int, default=62)
    args = parser.parse_args()
    t0 = time.perf_counter()
    plan = sample_park.sliced(energy_park.plan(SAMPLE, args.seed), days=args.days)
    slots = plan["days"] * DAY
    truth = sample_series.truth(plan, sample_series.Sources.read([SAMPLE], slots), slots)
    start = int(sample_series.local_start(plan).timestamp())
    ts = start + 900 * np.arange(slots, dtype=np.int64)
    kinds = {DETECTED[k] for k in BEHAVIOUR}
    found = [(mid, e.kind, float(e.start), float(e.end)) for mid, values in truth.items()
             for e in detect_meter(ts, values, args.chunk_days) if e.kind in kinds]
    scores = score_anomalies(plan, found)
    print(json.dumps({"seed": args.seed, "days": plan["days"], "meters": len(truth),
                      "chunk_days": args.chunk_days, "seconds": round(time.perf_counter() - t0, 1),
                      "anomalies": {k: v for k, v in scores.items() if k in kinds}}, indent=1))


if __name__ == "__main__":
    main()
