"""Address API (issue 14): ``POST /address/standardize`` with 1,000 addresses and single
``GET /address/standardize`` latency, over HTTP to the app under uvicorn on loopback (one
worker), from a keep-alive client in this process. Addresses are drawn (seeded) from the CCKS
2021 final test texts in ../shared/data (unlabelled: used for speed only). Prints JSON.

    DIZHI_DATABASE_NAME=… .venv/bin/python bench/address_api.py [--rounds 5] [--gets 2000]
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api import db
from bench.httpload import uvicorn_server

TEST = Path("/work/shared/data/eval/address_parsing/ccks2021/final_test.txt")


def addresses(n: int, seed: int) -> list[str]:
    lines = TEST.read_text(encoding="utf-8").splitlines()
    texts = [line.split("\x01", 1)[-1] for line in lines]
    return random.Random(seed).sample(texts, n)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--gets", type=int, default=2000)
    parser.add_argument("--port", type=int, default=18731)
    args = parser.parse_args()
    with uvicorn_server(db.database_url(), args.port, 1,
                        warm_path="/address/standardize?address=%E5%8D%8E%E5%BF%97%E8%B7%AF1%E5%8F%B7"
                        ) as base, httpx.Client(base_url=base, timeout=60) as client:
        batches = []
        for round_ in range(args.rounds):
            texts = addresses(1000, seed=round_)  # a fresh set each round: no parse cache hits
            start = time.perf_counter()
            r = client.post("/address/standardize", json={"addresses": texts})
            batches.append(time.perf_counter() - start)
            r.raise_for_status()
            assert len(r.json()["results"]) == 1000
        singles = []
        for text in addresses(args.gets, seed=1000):
            start = time.perf_counter()
            client.get("/address/standardize", params={"address": text}).raise_for_status()
            singles.append(time.perf_counter() - start)
    singles.sort()
    print(json.dumps({
        "post_1000_s": {"best": round(min(batches), 3),
                        "median": round(statistics.median(batches), 3),
                        "rounds": [round(b, 3) for b in batches]},
        "get_ms": {"p50": round(1000 * singles[len(singles) // 2], 2),
                   "p99": round(1000 * singles[int(len(singles) * 0.99)], 2), "n": len(singles)},
        "targets": {"post_1000_s": 1.0, "get_p50_ms": 2.0},
        "load": os.getloadavg(),
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
