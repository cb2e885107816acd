"""Energy ingest (issue 18): readings per second through the CSV/COPY path, HTTP JSON bulk and
MQTT, end to end into the partitioned ``reading`` table; peak memory. Synthetic readings on
bench-only meters, removed afterwards. Prints JSON.

    DIZHI_DATABASE_URL=… .venv/bin/python bench/energy.py [--meters 2000] [--days 2]
"""

import argparse
import json
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from api import db
from api.app import create_app
from api.auth import create_key
from layers.energy.mqtt import MqttStats, Subscriber, run
from layers.energy.readings import ingest_csv

START = datetime(2030, 1, 1, tzinfo=UTC)


def _meters(conn: psycopg.Connection, prefix: str, n: int) -> list[str]:
    ids = [f"{prefix}-{i:05d}" for i in range(n)]
    with conn.cursor().copy("COPY meter (id, kind, unit, reading_type, synthetic) FROM STDIN") as c:
        for meter_id in ids:
            c.write_row((meter_id, "electricity", "kWh", "interval", True))
    return ids


def _csv(ids: list[str], start: datetime, intervals: int) -> bytes:
    lines = ["meter_id,ts,value"]
    for k in range(intervals):
        ts = (start + timedelta(minutes=15 * k)).isoformat()
        lines.extend(f"{m},{ts},{(k % 97) * 0.25}" for m in ids)
    return ("\n".join(lines) + "\n").encode()


def bench_copy(conn: psycopg.Connection, ids: list[str], days: int) -> dict[str, float]:
    data = _csv(ids, START, 96 * days)
    rows = len(ids) * 96 * days
    t = time.perf_counter()
    with conn.transaction():
        report = ingest_csv(conn, data=data, source="bench")
    seconds = time.perf_counter() - t
    assert report.inserted == rows, report
    t = time.perf_counter()
    with conn.transaction():
        again = ingest_csv(conn, data=data, source="bench")
    assert again.unchanged == rows
    return {"readings": rows, "seconds": round(seconds, 3), "per_s": round(rows / seconds),
            "repeat_unchanged_per_s": round(rows / (time.perf_counter() - t))}


def bench_http(url: str, key: str, ids: list[str], batches: int, size: int) -> dict[str, float]:
    start = START + timedelta(days=30)
    with TestClient(create_app(url=url)) as client:
        headers = {"Authorization": f"Bearer {key}"}
        total, t = 0, time.perf_counter()
        for b in range(batches):
            ts = (start + timedelta(minutes=15 * b)).isoformat()
            body = {"readings": [{"meter_id": ids[i % len(ids)],
                                  "ts": (start + timedelta(minutes=15 * (b * size + i)
                                                           // len(ids))).isoformat() or ts,
                                  "value": float(i)} for i in range(size)]}
            r = client.post("/energy/readings", json=body, headers=headers)
            assert r.status_code == 200, r.text
            total += r.json()["received"]
        seconds = time.perf_counter() - t
    return {"readings": total, "seconds": round(seconds, 3), "per_s": round(total / seconds),
            "batch": size}


def bench_mqtt(conn: psycopg.Connection, ids: list[str], messages: int) -> dict[str, float]:
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = Path(tempfile.mkdtemp())
    (workdir / "m.conf").write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n"
                                    "persistence false\nmax_queued_messages 0\n")
    broker = subprocess.Popen([mosquitto, "-c", str(workdir / "m.conf")],
                              stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        subscriber = Subscriber("127.0.0.1", port, batch=5000)
        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        publisher.connect("127.0.0.1", port)
        publisher.loop_start()
        start = START + timedelta(days=60)
        state = {"t": 0.0}

        def until(stats: MqttStats) -> bool:
            if not state["t"]:
                state["t"] = time.perf_counter()
                for i in range(messages):
                    ts = (start + timedelta(minutes=15 * (i // len(ids)))).isoformat()
                    publisher.publish(f"dizhi/{ids[i % len(ids)]}",
                                      json.dumps({"ts": ts, "value": i}), qos=0)
            return stats.written + stats.rejected >= messages

        stats = run(conn, subscriber, until=until, idle=0.01)
        seconds = time.perf_counter() - state["t"]
        publisher.loop_stop()
    finally:
        broker.terminate()
        broker.wait()
    return {"messages": messages, "written": stats.written, "seconds": round(seconds, 3),
            "per_s": round(stats.written / seconds), "batches": stats.batches}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meters", type=int, default=2000)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--http-batches", type=int, default=10)
    parser.add_argument("--http-batch", type=int, default=10000)
    parser.add_argument("--mqtt-messages", type=int, default=50000)
    args = parser.parse_args()
    url = db.database_url()
    prefix = f"bench-{secrets.token_hex(3)}"
    with psycopg.connect(url, autocommit=True) as conn:
        ids = _meters(conn, prefix, args.meters)
        key = create_key(conn, role="energy", name="bench/energy.py")
        try:
            result = {
                "copy_csv": bench_copy(conn, ids, args.days),
                "http_json": bench_http(url, key.key, ids, args.http_batches, args.http_batch),
                "mqtt": bench_mqtt(conn, ids, args.mqtt_messages),
            }
        finally:
            conn.execute("DELETE FROM meter WHERE id LIKE %s", [prefix + "-%"])
            conn.execute("UPDATE api_key SET revoked_at = now() WHERE id = %s", [key.id])
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["synthetic"] = True
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
