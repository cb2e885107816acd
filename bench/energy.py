"""Energy (issue 18): readings per second through the CSV/COPY path, HTTP JSON bulk and MQTT,
end to end into the partitioned ``reading`` table; the incremental recompute (clean, roll up,
anomaly scan) of one new day for every meter after a history; peak memory. Synthetic readings
on bench-only meters (half cumulative, half interval, in a bench park's enterprises), removed
afterwards; then the reads: a year of one meter as a daily series, the park's month summary.
Prints JSON.

    DIZHI_DATABASE_NAME=… .venv/bin/python bench/energy.py [--meters 2000] [--days 2]
        [--history-days 8] [--connections 2] [--only copy_csv,http_json,mqtt,recompute,reads]
"""

import argparse
import io
import json
import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np
import psycopg
from fastapi.testclient import TestClient
from psycopg import sql
from stdnum.cn import uscc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api import db
from api.app import create_app
from api.auth import create_key
from api.cli.energy import line_chunks
from api.cli.energy_import import import_pieces
from layers.energy import alarms
from layers.energy.batch import warm_up
from layers.energy.mqtt import MqttStats, Subscriber, run
from layers.energy.readings import IngestReport, ingest_csv, months
from layers.energy.recompute import recompute, recompute_all

START = datetime(2030, 1, 1, tzinfo=UTC)


def _meters(conn: psycopg.Connection, prefix: str, n: int) -> list[str]:
    """n meters, every other one cumulative, twenty to an enterprise of a bench park."""
    ids = [f"{prefix}-{i:05d}" for i in range(n)]
    conn.execute("INSERT INTO park (code, name, synthetic) VALUES (%s, 'bench park', true)",
                 [prefix])
    enterprises = [r[0] for r in conn.execute(
        "INSERT INTO enterprise (park_code, name, credit_code, synthetic)"
        " SELECT %s, %s || '-' || k, c, true FROM unnest(%s::text[]) WITH ORDINALITY u(c, k)"
        " RETURNING id", [prefix, prefix, [_credit_code(k) for k in range(n // 20 + 1)]])]
    with conn.cursor().copy("COPY meter (id, kind, unit, reading_type, enterprise_id, synthetic)"
                            " FROM STDIN") as c:
        for i, meter_id in enumerate(ids):
            c.write_row((meter_id, "electricity", "kWh",
                         "cumulative" if i % 2 else "interval", enterprises[i // 20], True))
    return ids


def _credit_code(k: int) -> str:
    body = f"91310118B{secrets.token_hex(2).upper()}{k:04d}"[:17].replace("I", "J")
    return body + uscc.calc_check_digit(body)


def _day_csv(ids: list[str], day: datetime, rng: np.random.Generator) -> bytes:
    """One day of 15-minute readings ending at the next midnight: interval meters their
    consumption, cumulative ones a register that carries on from the day before."""
    k = np.arange(1, 97)
    profile = 2.0 + np.sin((k - 30) / 96 * 2 * np.pi).clip(0) * 5
    stamps = [(day + timedelta(minutes=15 * int(i))).isoformat() for i in k]
    out = io.StringIO()
    out.write("meter_id,ts,value\n")
    days = int((day - START).total_seconds() // 86400)
    for i, meter_id in enumerate(ids):
        use = profile * (1 + 0.05 * rng.standard_normal(96)).clip(0.5)
        values = (np.cumsum(use) + days * 96 * 4.0) if i % 2 else use
        out.writelines(f"{meter_id},{t},{v:.3f}\n" for t, v in zip(stamps, values, strict=True))
    return out.getvalue().encode()


def bench_recompute(conn: psycopg.Connection, ids: list[str], history: int) -> dict[str, object]:
    """``history`` days cleaned and rolled up first; then one new day for every meter:
    clean + roll up (the issue's ≤ 2 s; also as CPU seconds of this process and its backend,
    the figure a shared machine does not stretch), and the anomaly scan of the same spans, which
    makes and keeps every meter's baseline from its history; then a second new day, cleaned
    and scanned against the kept baselines: the daily scan of a week's other days."""
    rng = np.random.default_rng(18)
    start = START + timedelta(days=90, hours=-8)  # a local (Asia/Shanghai) day, 00:00 +08:00
    with conn.transaction():
        for d in range(history):
            ingest_csv(conn, data=_day_csv(ids, start + timedelta(days=d), rng), source="bench")
        recompute_all(conn, detect=False)
    data = _day_csv(ids, start + timedelta(days=history), rng)
    second = _day_csv(ids, start + timedelta(days=history + 1), rng)
    with conn.transaction():
        ingest_csv(conn, data=data, source="bench")
        (report, cleaned), cleaned_cpu = _timed(conn, lambda: recompute(
            conn, max_meters=len(ids), detect=False))
        (found, scanned), scanned_cpu = _timed(conn, lambda: alarms.scan_spans(conn))
        ingest_csv(conn, data=second, source="bench")
        recompute(conn, max_meters=len(ids), detect=False)
        (found_kept, kept), kept_cpu = _timed(conn, lambda: alarms.scan_spans(conn))
    return {"meters": report.meters, "days": report.days, "intervals": report.intervals,
            "history_days": history, "clean_and_rollup_s": round(cleaned, 3),
            "clean_and_rollup_cpu_s": cleaned_cpu,
            "anomaly_scan_s": round(scanned, 3), "anomaly_scan_cpu_s": scanned_cpu,
            "events": found, "total_s": round(cleaned + scanned, 3),
            "anomaly_scan_kept_baselines_s": round(kept, 3),
            "anomaly_scan_kept_baselines_cpu_s": kept_cpu, "events_kept_baselines": found_kept}


T = TypeVar("T")


def _timed(conn: psycopg.Connection, work: Callable[[], T]
           ) -> tuple[tuple[T, float], dict[str, float]]:
    """(what ``work`` gave, wall s) and the CPU seconds of its backend and this process."""
    pid = conn.info.backend_pid
    backend, client, t = _backend_cpu_s(pid), time.process_time(), time.perf_counter()
    out = work()
    seconds = time.perf_counter() - t
    backend = _backend_cpu_s(pid) - backend
    client = time.process_time() - client
    return (out, seconds), {"backend": round(backend, 2), "client": round(client, 2),
                            "total": round(backend + client, 2)}


def _csv(ids: list[str], start: datetime, intervals: int) -> bytes:
    lines = ["meter_id,ts,value"]
    for k in range(intervals):
        ts = (start + timedelta(minutes=15 * k)).isoformat()
        lines.extend(f"{m},{ts},{(k % 97) * 0.25}" for m in ids)
    return ("\n".join(lines) + "\n").encode()


def _cpu_s(*conns: psycopg.Connection) -> float:
    """This process's CPU seconds and its server backends' (read from /proc when the server
    runs on this machine; 0 for a backend otherwise): a figure the machine's load moves
    less than the wall clock."""
    return time.process_time() + sum(_backend_cpu_s(c.info.backend_pid) for c in conns)


def _backend_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1]
    except OSError:
        return 0.0
    return sum(int(f) for f in fields.split()[11:13]) / os.sysconf("SC_CLK_TCK")


def _import_file(path: Path, connections: int) -> tuple[IngestReport, float, float]:
    """``dizhi energy import FILE``'s work in this process: (report, wall s, CPU s of this
    process and the writing backends, taken as each connection closes)."""
    url, backends = db.database_url(), []

    @contextmanager
    def connect() -> Iterator[psycopg.Connection]:
        with psycopg.connect(url, autocommit=True) as conn:
            before = _backend_cpu_s(conn.info.backend_pid)
            yield conn
            backends.append(_backend_cpu_s(conn.info.backend_pid) - before)

    t, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as handle:
        report = import_pieces(connect, chunks=line_chunks(handle), connections=connections,
                               source="bench")
    return report, time.perf_counter() - t, time.process_time() - cpu + sum(backends)


def bench_copy(conn: psycopg.Connection, ids: list[str], days: int, connections: int
               ) -> dict[str, object]:
    """The CSV path as a user takes it: a file through ``dizhi energy import``'s pipeline
    (read, parse, write on ``connections`` connections), new readings and then the same file
    again; one ``ingest_csv`` call of the whole text in one transaction beside it; and the
    command itself as a process (start-up included) on a further set of days."""
    rows = len(ids) * 96 * days
    out: dict[str, object] = {"readings": rows, "connections": connections}
    warm_up()  # pyarrow's first list conversion imports pandas (0.2-0.5 s): not the readings'
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "readings.csv"
        path.write_bytes(_csv(ids, START, 96 * days))
        report, seconds, cpu = _import_file(path, connections)
        assert report.inserted == rows, report
        again, again_s, cpu_again = _import_file(path, connections)
        assert again.unchanged == rows, again
        out.update({"seconds": round(seconds, 3), "per_s": round(rows / seconds),
                    "cpu_s": round(cpu, 3), "per_cpu_s": round(rows / cpu),
                    "repeat_unchanged_per_s": round(rows / again_s),
                    "repeat_unchanged_per_cpu_s": round(rows / cpu_again)})
        data = _csv(ids, START + timedelta(days=days), 96 * days)
        t, cpu = time.perf_counter(), _cpu_s(conn)
        with conn.transaction():
            report = ingest_csv(conn, data=data, source="bench")
        seconds, cpu = time.perf_counter() - t, _cpu_s(conn) - cpu
        assert report.inserted == rows, report
        out["one_transaction"] = {"per_s": round(rows / seconds), "cpu_s": round(cpu, 3),
                                  "per_cpu_s": round(rows / cpu)}
        path.write_bytes(_csv(ids, START + timedelta(days=2 * days), 96 * days))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from api.cli.main import main; main()",
                        "energy", "import", str(path), "--connections", str(connections)],
                       check=True, capture_output=True, cwd=Path(__file__).resolve().parent.parent)
        seconds = time.perf_counter() - t
        out["cli_process"] = {"seconds": round(seconds, 3), "per_s": round(rows / seconds)}
    return out


def _backends(conn: psycopg.Connection) -> list[int]:
    """The other client backends on this database (an app's pool)."""
    return [r[0] for r in conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND backend_type = 'client backend' AND pid <> pg_backend_pid()")]


def _post_all(conn: psycopg.Connection, client: TestClient, bodies: list[bytes],
              headers: dict[str, str]) -> dict[str, float]:
    pids = _backends(conn)
    before = sum(map(_backend_cpu_s, pids))
    total, t, cpu = 0, time.perf_counter(), time.process_time()
    for body in bodies:
        r = client.post("/energy/readings", content=body, headers=headers)
        assert r.status_code == 200, r.text
        total += r.json()["received"]
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    backend = sum(map(_backend_cpu_s, pids)) - before
    return {"readings": total, "seconds": round(seconds, 3), "per_s": round(total / seconds),
            "app_cpu_s": round(cpu, 3), "backend_cpu_s": round(backend, 3),
            "per_cpu_s": round(total / (cpu + backend))}


def _warmed() -> None:
    """Wait for the app's warm-up thread (the parser, geocoder and masker loaded while the
    server already answers): its seconds of CPU are not the requests'."""
    for thread in threading.enumerate():
        if thread.name == "warm-up":
            thread.join()


def bench_http(conn: psycopg.Connection, url: str, key: str, ids: list[str], batches: int,
               size: int) -> dict[str, object]:
    """``batches`` POSTs of ``size`` JSON readings, then as many of CSV; the bodies are made
    before the clock starts (a gateway sends them ready), the app runs in this process
    (TestClient), timed once its warm-up thread is done; one request of each kind first,
    untimed (the first pyarrow call in a process sets pyarrow up: 0.3 s)."""
    def rows(b: int, days: int) -> list[tuple[str, str, float]]:
        start = START + timedelta(days=days)
        return [(ids[i % len(ids)],
                 (start + timedelta(minutes=15 * ((b * size + i) // len(ids)))).isoformat(),
                 float(i)) for i in range(size)]

    json_bodies = [json.dumps({"readings": [{"meter_id": m, "ts": t, "value": v}
                                            for m, t, v in rows(b, 30)]}).encode()
                   for b in range(batches + 1)]
    csv_bodies = [("meter_id,ts,value\n" + "".join(f"{m},{t},{v}\n" for m, t, v in rows(b, 45))
                   ).encode() for b in range(batches + 1)]
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(url=url)) as client:
        _warmed()
        json_headers = {**auth, "content-type": "application/json"}
        csv_headers = {**auth, "content-type": "text/csv"}
        _post_all(conn, client, json_bodies[:1], json_headers)
        _post_all(conn, client, csv_bodies[:1], csv_headers)
        out: dict[str, object] = {"batch": size, **_post_all(conn, client, json_bodies[1:],
                                                             json_headers)}
        out["csv"] = _post_all(conn, client, csv_bodies[1:], csv_headers)
    return out


def _broker() -> tuple[subprocess.Popen[bytes], int]:
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = Path(tempfile.mkdtemp())
    (workdir / "m.conf").write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n"
                                    "persistence false\nmax_queued_messages 0\n")
    broker = subprocess.Popen([mosquitto, "-c", str(workdir / "m.conf")],
                              stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return broker, port


def bench_mqtt(conn: psycopg.Connection, ids: list[str], messages: int) -> dict[str, object]:
    """The subscriber as ``dizhi energy mqtt`` runs it (this process: paho's network thread
    queueing, the main thread writing batches), fed by a publisher in a process of its own
    (bench/mqtt_publish.py); timed from the first message in to the last one written, with
    this process's and its backend's CPU and the resident memory every second."""
    broker, port = _broker()
    prefix = ids[0].rsplit("-", 1)[0]
    try:
        subscriber = Subscriber("127.0.0.1", port, batch=5000)
        state: dict[str, float] = {"t": 0.0, "cpu": 0.0, "next": 0.0}
        rss: list[int] = []
        publisher = None

        def until(stats: MqttStats) -> bool:
            nonlocal publisher
            now = time.perf_counter()
            if publisher is None:
                publisher = subprocess.Popen(
                    [sys.executable, str(Path(__file__).with_name("mqtt_publish.py")),
                     "--port", str(port), "--prefix", prefix, "--meters", str(len(ids)),
                     "--messages", str(messages)], stdout=subprocess.PIPE)
            if stats.received and not state["t"]:
                state["t"], state["cpu"] = now, _cpu_s(conn)
            if now >= state["next"]:
                rss.append(_rss_mb())
                state["next"] = now + 1.0
            return stats.written + stats.rejected + stats.unknown >= messages

        stats = run(conn, subscriber, until=until, idle=0.005)
        seconds, cpu = time.perf_counter() - state["t"], _cpu_s(conn) - state["cpu"]
        assert publisher is not None
        sent = json.loads(publisher.communicate(timeout=60)[0])
    finally:
        broker.terminate()
        broker.wait()
    return {"messages": messages, "written": stats.written, "seconds": round(seconds, 3),
            "per_s": round(stats.written / seconds), "cpu_s": round(cpu, 3),
            "per_cpu_s": round(stats.written / cpu), "batches": stats.batches,
            "publisher_s": sent["seconds"], "rss_mb_each_second": rss}


def _rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


def _p50_ms(client: TestClient, path: str, headers: dict[str, str], n: int) -> dict[str, float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(path, headers=headers)
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text
    return {"p50_ms": round(float(np.median(times)), 1), "max_ms": round(max(times), 1)}


def bench_reads(conn: psycopg.Connection, url: str, key: str, ids: list[str],
                prefix: str) -> dict[str, object]:
    """A year of 15-minute readings for one meter as a daily series (issue: p50 ≤ 20 ms), and
    the bench park's summary for a month (≤ 200 ms): April 2030, the recompute bench's days
    when it ran first."""
    year = datetime(2031, 1, 1, tzinfo=START.tzinfo) - timedelta(hours=8)
    stamps = [(year + timedelta(minutes=15 * k)).isoformat() for k in range(1, 365 * 96 + 1)]
    data = ("meter_id,ts,value\n" + "".join(f"{ids[0]},{t},{1 + k % 7}\n"
                                            for k, t in enumerate(stamps))).encode()
    with conn.transaction():
        ingest_csv(conn, data=data, source="bench")
        conn.execute("DELETE FROM energy_dirty_day WHERE meter_id LIKE %s AND meter_id <> %s",
                     [prefix + "-%", ids[0]])
        recompute_all(conn, detect=False)
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(url=url)) as client:
        daily = _p50_ms(client, f"/energy/meters/{ids[0]}/series?interval=day"
                        "&start=2031-01-01T00:00:00%2B08:00&end=2032-01-01T00:00:00%2B08:00",
                        headers, 21)
        park = _p50_ms(client, f"/energy/parks/{prefix}/summary"
                       "?start=2030-04-01T00:00:00%2B08:00&end=2030-05-01T00:00:00%2B08:00",
                       headers, 11)
    return {"daily_series_year": daily, "park_summary_month": park}


def _remove(conn: psycopg.Connection, prefix: str) -> None:
    like = prefix + "-%"
    for table in ("energy_alarm", "energy_dirty_day", "energy_interval", "reading"):
        conn.execute(f"DELETE FROM {table} WHERE meter_id LIKE %s", [like])
    conn.execute("DELETE FROM energy_rollup WHERE scope_id LIKE %s OR scope_id = %s"
                 " OR scope_id IN (SELECT id::text FROM enterprise WHERE park_code = %s)",
                 [like, prefix, prefix])
    conn.execute("DELETE FROM meter WHERE id LIKE %s", [like])
    conn.execute("DELETE FROM enterprise WHERE park_code = %s", [prefix])
    conn.execute("DELETE FROM park WHERE code = %s", [prefix])
    # The bench's months (2030) left empty are dropped (they are made again on demand): their
    # deleted rows would otherwise stay as dead tuples, gigabytes after a few runs, that the
    # next run's index scans wade through (backend CPU of the recompute 1.5 → 2.0 s).
    for table in ("energy_interval", "reading"):
        for name, _, _ in months(first=START, last=START + timedelta(days=364)):
            _drop_if_empty(conn, f"{table}_{name}")
    conn.execute("VACUUM energy_rollup, energy_dirty_day, energy_baseline, energy_alarm")


def _drop_if_empty(conn: psycopg.Connection, partition: str) -> None:
    if conn.execute("SELECT to_regclass(%s)", [partition]).fetchone()[0] is None:
        return
    table = sql.Identifier(partition)
    if not conn.execute(sql.SQL("SELECT EXISTS (SELECT FROM {})").format(table)).fetchone()[0]:
        conn.execute(sql.SQL("DROP TABLE {}").format(table))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meters", type=int, default=2000)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--http-batches", type=int, default=10)
    parser.add_argument("--http-batch", type=int, default=10000)
    parser.add_argument("--mqtt-messages", type=int, default=50000)
    parser.add_argument("--history-days", type=int, default=8)
    parser.add_argument("--only", default="copy_csv,http_json,mqtt,recompute,reads")
    args = parser.parse_args()
    only = set(args.only.split(","))
    url = db.database_url()
    prefix = f"bench-{secrets.token_hex(3)}"
    with psycopg.connect(url, autocommit=True) as conn:
        ids = _meters(conn, prefix, args.meters)
        key = create_key(conn, role="energy", name="bench/energy.py")
        runs = {"copy_csv": lambda: bench_copy(conn, ids, args.days, args.connections),
                "http_json": lambda: bench_http(conn, url, key.key, ids, args.http_batches,
                                                args.http_batch),
                "mqtt": lambda: bench_mqtt(conn, ids, args.mqtt_messages),
                "recompute": lambda: bench_recompute(conn, ids, args.history_days),
                "reads": lambda: bench_reads(conn, url, key.key, ids, prefix)}
        try:
            result: dict[str, object] = {name: run() for name, run in runs.items()
                                         if name in only}
        finally:
            _remove(conn, prefix)
            conn.execute("UPDATE api_key SET revoked_at = now() WHERE id = %s", [key.id])
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["synthetic"] = True
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
