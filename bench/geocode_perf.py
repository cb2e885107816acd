"""Geocoding speed on the 1,000,000-address synthetic register (bench/make_registry.py).

In-process latency of geocode (p50/p99 over a mix of exact, noisy, unknown-door and complaint
queries, and per kind of query, with the CPU a query costs in this process and in its database
backend), reverse and suggest; HTTP throughput of `dizhi serve --workers 2` driven by wrk from a
second process; a 100,000-row batch end to end (CSV in → CSV out). One JSON line. The query
mix is the same on every run against the same register (a repeatable sample, a seeded
shuffle): ``--answers FILE`` writes each query's answer, to compare two versions' answers.

    python bench/make_registry.py && python bench/geocode_perf.py --json
"""

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from httpload import lua_list, uvicorn_server, wrk  # bench/, the script's own folder

from address.geocode.batch import geocode_texts, read_csv_texts, write_csv
from address.geocode.forward import GeocodeRequest, geocode
from address.geocode.results import GeocodeResult
from address.geocode.reverse import ReverseRequest, reverse_geocode
from address.geocode.suggest import suggest
from api.db import embedded_cluster

QINGPU = ("310118",)  # the district the sample register covers


def request(**fields: Any) -> GeocodeRequest:
    """A request over the sample district."""
    return GeocodeRequest(districts=QINGPU, **fields)
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
CHATTER = ("来电反映{}楼道堆放杂物", "我家住在{}，楼上漏水", "{}门口有人占道经营")
DOOR = re.compile(r"(\d+)([号弄])")


def percentiles(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {"p50_ms": round(statistics.median(ms), 2),
            "p99_ms": round(ms[int(len(ms) * 0.99) - 1], 2)}


def timed(items: list[str], call: Callable[[str], object]) -> list[float]:
    times = []
    for item in items:
        start = time.perf_counter()
        call(item)
        times.append(time.perf_counter() - start)
    return times


def query_mix(conn: psycopg.Connection, n: int, rng: random.Random,
              addresses: int = 1_000_000) -> list[tuple[str, str]]:
    percent = min(100.0, n * 300 / max(addresses, 1))  # enough rows for n, without a full scan
    rows = conn.execute("SELECT canonical, level FROM address TABLESAMPLE SYSTEM (%s)"
                        " REPEATABLE (7) WHERE valid_to IS NULL LIMIT %s",
                        [percent, n * 2]).fetchall()
    rng.shuffle(rows)
    out = []
    for text, level in rows[:n]:
        local = text.removeprefix("上海市")
        roll = rng.random()
        if roll < 0.55:
            out.append(("exact", local if rng.random() < 0.5 else text))
        elif roll < 0.65:
            out.append(("full_width", local.translate(FULL_WIDTH)))
        elif roll < 0.75 and DOOR.search(local):
            out.append(("hao_long", DOOR.sub(lambda m: m.group(1) + {"号": "弄", "弄": "号"}[
                m.group(2)], local, count=1)))
        elif roll < 0.88 and level == "门牌号":
            m = DOOR.search(local)
            assert m is not None
            nearby = str(int(m.group(1)) + 2 * rng.randint(1, 3))  # same side of the road
            out.append(("nearby_door", local[:m.start()] + nearby + local[m.end() - 1:]))
        else:
            out.append(("complaint", rng.choice(CHATTER).format(local)))
    return out


def backend_cpu_s(conn: psycopg.Connection) -> float:
    """User + system CPU seconds of the connection's backend (the cluster runs on this machine)."""
    fields = Path(f"/proc/{conn.info.backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def answer_of(kind: str, query: str, result: GeocodeResult) -> dict[str, object]:
    """What a version of the geocoder answers a query, for comparing two versions."""
    best = result.best
    return {"kind": kind, "query": query, "best": None if best is None else {
        k: getattr(best, k) for k in ("formatted_address", "level", "match_type", "code",
                                      "adcode", "towncode", "community_code", "confidence",
                                      "warnings")},
        "candidates": [(c.formatted_address, c.code, c.confidence) for c in result.candidates],
        "reason": result.reason}


def geocode_latency(conn: psycopg.Connection, mix: list[tuple[str, str]],
                    answers: Path | None) -> dict[str, object]:
    """p50/p99 over the mix and per kind of query, the outcomes, and CPU milliseconds a query
    (this process, the database backend)."""
    timed([q for _, q in mix[:200]], lambda q: geocode(conn, request(text=q)))  # warm up
    times: dict[str, list[float]] = {}
    kinds: Counter[str] = Counter()
    out = []
    cpu, backend, load = time.process_time(), backend_cpu_s(conn), os.getloadavg()[0]
    for kind, q in mix:
        start = time.perf_counter()
        result = geocode(conn, request(text=q))
        times.setdefault(kind, []).append(time.perf_counter() - start)
        kinds[f"{kind}:{result.best.match_type if result.best else 'none'}"] += 1
        out.append(answer_of(kind, q, result))
    cpu, backend = time.process_time() - cpu, backend_cpu_s(conn) - backend
    if answers is not None:
        answers.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in out))
    every = [t for kind_times in times.values() for t in kind_times]
    return {**percentiles(every), "queries": len(mix), "outcomes": dict(kinds),
            "by_kind": {kind: {**percentiles(t), "queries": len(t)} for kind, t in times.items()},
            "cpu_ms_per_query": {"process": round(cpu * 1000 / len(mix), 3),
                                 "backend": round(backend * 1000 / len(mix), 3)},
            "load_average": [round(load, 2), round(os.getloadavg()[0], 2)]}


SUGGEST_KINDS = ("one_char", "two_chars", "pinyin", "name_and_digit")


def suggest_inputs(conn: psycopg.Connection, n: int, rng: random.Random) -> list[str]:
    names = [r[0] for r in conn.execute("SELECT name FROM place ORDER BY random() LIMIT %s",
                                        [n]).fetchall()]
    pinyin = [r[0] for r in conn.execute("SELECT pinyin FROM place ORDER BY random() LIMIT %s",
                                         [n]).fetchall()]
    inputs = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            inputs.append(names[i % len(names)][:1])
        elif kind == 1:
            inputs.append(names[i % len(names)][:2])
        elif kind == 2:
            inputs.append(pinyin[i % len(pinyin)][: rng.randint(3, 6)])
        else:
            inputs.append(names[i % len(names)] + str(rng.randint(1, 9)))
    return inputs


def infix_comparison(conn: psycopg.Connection, pairs: list[str]) -> dict[str, object]:
    """Two characters from the middle of a name, answered by the character-pair GIN on place
    names, against the obvious pg_trgm way (LIKE '%xx%' over the addresses), which cannot use
    its trigram index for fewer than three characters."""
    infixes = [p[1:3] if len(p) >= 3 else p for p in pairs]
    ours = timed(infixes, lambda q: suggest(conn, q=q, districts=QINGPU, limit=10))
    naive = timed(infixes[:10], lambda q: conn.execute(
        "SELECT canonical FROM address WHERE valid_to IS NULL AND local_key LIKE %s LIMIT 10",
        [f"%{q}%"]).fetchall())
    return {"ours": percentiles(ours), "pg_trgm_like": percentiles(naive),
            "ratio_p50": round(statistics.median(naive) / statistics.median(ours), 1)}


def http_throughput(url: str, queries: list[str], seconds: int, port: int,
                    workers: int = 2) -> dict[str, object]:
    """`dizhi serve --workers N` on loopback, wrk (a second process) cycling through queries."""
    paths = [f"/geocode?address={urllib.parse.quote(q)}" for q in queries]
    lua = lua_list("paths", paths) + ("i = 0\nrequest = function()\n  i = i % #paths + 1\n"
                                      "  return wrk.format('GET', paths[i])\nend\n")
    with uvicorn_server(url, port, workers, warm_path=paths[0]) as base:
        result = wrk(base, lua, seconds, connections=32)
    return {"http_workers": workers, "http_geocode_req_per_s": result["requests_per_s"],
            "http_non_2xx": result["non_2xx"], "http_latency": result["latency"]}


def batch(conn: psycopg.Connection, rows: int, rng: random.Random) -> dict[str, object]:
    """``rows`` distinct register addresses with the same mix of noise as the queries."""
    texts = [q for _, q in query_mix(conn, rows, rng)]
    lines = ["id,text"] + [f"{i},{text}" for i, text in enumerate(texts)]
    start = time.perf_counter()
    columns, records = read_csv_texts("\n".join(lines))
    results = geocode_texts(conn, [r["text"] for r in records], districts=QINGPU)
    out = write_csv(records, results, columns)
    seconds = time.perf_counter() - start
    found = Counter(r.best.match_type if r.best else "none" for r in results)
    return {"batch_rows": rows, "batch_seconds": round(seconds, 1),
            "batch_rows_per_s": round(rows / seconds), "batch_output_bytes": len(out),
            "batch_match_types": dict(found)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="one JSON line (the default)")
    parser.add_argument("--database", default="dizhi_bench_registry")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--http-seconds", type=int, default=20)
    parser.add_argument("--batch-rows", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=8097)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--in-process", action="store_true",
                        help="only the in-process latencies (no batch, no HTTP)")
    parser.add_argument("--answers", type=Path,
                        help="write each geocode query's answer here (JSON lines)")
    args = parser.parse_args()
    rng = random.Random(7)
    url = embedded_cluster().url(args.database)
    result: dict[str, object] = {"bench": "geocode_perf", "database": args.database}
    with psycopg.connect(url, autocommit=True) as conn:
        addresses = conn.execute(
            "SELECT count(*) FROM address WHERE valid_to IS NULL").fetchone()[0]  # type: ignore[index]
        result["addresses"] = addresses
        mix = query_mix(conn, args.queries, rng, addresses)
        texts = [q for _, q in mix]
        result["geocode"] = geocode_latency(conn, mix, args.answers)
        conn.execute("SELECT setseed(0.7)")  # the same points every run
        points = conn.execute("SELECT ST_X(point) + (random() - 0.5) * 0.001, ST_Y(point) +"
                              " (random() - 0.5) * 0.001 FROM address TABLESAMPLE SYSTEM (%s)"
                              " REPEATABLE (7) LIMIT %s",
                              [min(100.0, args.queries * 500 / max(addresses, 1)),
                               args.queries]).fetchall()
        result["reverse"] = percentiles(timed(
            [f"{x},{y}" for x, y in points],
            lambda p: reverse_geocode(conn, ReverseRequest(*map(float, p.split(",")),
                                                           radius_m=100))))
        inputs = suggest_inputs(conn, args.queries, rng)
        timed(inputs[:100], lambda q: suggest(conn, q=q, districts=QINGPU))
        times = timed(inputs, lambda q: suggest(conn, q=q, districts=QINGPU))
        result["suggest"] = {**percentiles(times), "by_input": {
            kind: percentiles(times[i::4]) for i, kind in enumerate(SUGGEST_KINDS)}}
        result["suggest_two_char_infix"] = infix_comparison(conn, inputs[1::4][:50])
        if not args.in_process:
            result.update(batch(conn, args.batch_rows, rng))
    if not args.in_process:
        result.update(http_throughput(url, texts, args.http_seconds, args.port, args.workers))
    json.dump(result, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
