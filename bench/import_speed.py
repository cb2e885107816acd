"""Import speed at steward scale (issue 15): `dizhi import addresses` of generated rows on the
sample register, timed as a whole command, and where the garbage ended. Prints JSON.

For each size a scratch database is made (migrated, sample loaded, not timed), a synthetic source
of that many rows is written (bench/make_import_source.py, seeded, 15 % garbage) and imported by
the CLI in one subprocess; the figure is rows / wall seconds of that process. Then every garbage
row (random strings, other districts, typo roads) is looked up: none may have made or matched an
address on the bogus name (nor make it a place); a typo row may match the real address by sound
(华芝路559号 → 华志路559号), which is counted apart.

    nice .venv/bin/python bench/import_speed.py --rows 100000 1000000 [--parse-process]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DIZHI = [sys.executable, "-c", "from api.cli.main import main; main()"]
SCRATCH = "dizhi_bench_import"


def _admin_url() -> str:
    from api import db

    return db.database_url().rsplit("/", 1)[0] + "/postgres"


def _fresh_database(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


class ServerCpu(threading.Thread):
    """CPU seconds of the PostgreSQL backends serving the scratch database, read from /proc
    while they live (a backend's last reading before it exits is kept)."""

    def __init__(self, database: str) -> None:
        super().__init__(daemon=True)
        self.database = f" {database} ".encode()  # "…_100000 " is not "…_1000000 "
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self.stop.wait(0.2):
            for pid in (p for p in os.listdir("/proc") if p.isdigit()):
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                    if self.database not in cmdline or b"postgres" not in cmdline:
                        continue
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                self.seen[int(pid)] = (int(fields[11]) + int(fields[12])) / tick

    def seconds(self) -> float:
        self.stop.set()
        self.join()
        return sum(self.seen.values())


def _run(args: list[str], url: str, expect: Path | None = None) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one command."""
    env = {**os.environ, "DIZHI_DATABASE_URL": url}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # 1: some rows were rejected, as they should be (then the report exists)
    if done.returncode not in (0, 1) or (expect is not None and not expect.exists()):
        raise SystemExit(f"{args} failed: {done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def _garbage(url: str, csv_path: Path) -> dict[str, int]:
    """Where the garbage rows ended, by kind and outcome."""
    import csv

    with csv_path.open(encoding="utf-8") as f:
        kinds = {line: (row["kind"], row["place"])
                 for line, row in enumerate(csv.DictReader(f), start=2)}
    with psycopg.connect(url) as conn:
        # the place of the address a record went to (a typo row may match a real door by sound)
        records = {line: (code, place) for line, code, place in conn.execute(
            """SELECT r.line_no, r.address_code, p.kind || ':' || p.name
               FROM address_source_record r
               LEFT JOIN place p ON p.code = left(r.address_code, 12)
               WHERE r.source = 'bench'""")}
        active_places = {f"{k}:{n}" for k, n in conn.execute(
            "SELECT kind, name FROM place WHERE status = 'active'")}
    counts: dict[str, int] = {}
    for line, (kind, bogus) in kinds.items():
        if kind in ("existing", "new"):
            continue
        code, place = records.get(line, (None, None))
        # active garbage: an address made on the bogus name, or the bogus name made a place
        made = (code is not None and place == bogus) or (bogus and bogus in active_places)
        outcome = "rejected" if line not in records else "pending" if code is None else (
            "active_on_the_bogus_name" if made else "matched_a_real_address")
        counts[f"{kind}:{outcome}"] = counts.get(f"{kind}:{outcome}", 0) + 1
    return counts


def measure(rows: int, extra: list[str]) -> dict[str, object]:
    name = f"{SCRATCH}_{rows}"
    url = _fresh_database(_admin_url(), name)
    _run([*DIZHI, "migrate"], url)
    _run([*DIZHI, "load", "sample", "--no-park"], url)
    with tempfile.TemporaryDirectory() as tmp:
        source, report = Path(tmp) / "source.csv", Path(tmp) / "report.json"
        subprocess.run([sys.executable, str(ROOT / "bench/make_import_source.py"), str(source),
                        "--rows", str(rows), "--database-url", url], check=True)
        server = ServerCpu(name)
        server.start()
        seconds, cpu = _run([*DIZHI, "import", "addresses", str(source), "--source", "bench",
                             "--report", str(report), *extra], url, expect=report)
        server_cpu = server.seconds()
        result = json.loads(report.read_text(encoding="utf-8"))
        garbage = _garbage(url, source)
    bad = sum(n for k, n in garbage.items() if k.endswith("active_on_the_bogus_name"))
    return {"rows": rows, "options": extra, "seconds": round(seconds, 1),
            "rows_per_s": round(rows / seconds),
            "client_cpu_s": round(cpu, 1), "server_cpu_s": round(server_cpu, 1),
            "rows_per_cpu_s": round(rows / (cpu + server_cpu)),
            "report": {k: result[k] for k in ("rows", "created", "matched", "pending",
                                               "rejected", "conflicts")},
            "errors_listed": len(result["errors"]), "garbage": garbage,
            "garbage_active": bad, "load_average": os.getloadavg()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--parse-process", action="store_true",
                        help="import with --parse-process (the parse in a second process)")
    args = parser.parse_args()
    extra = ["--parse-process"] if args.parse_process else []
    print(json.dumps({"synthetic": True, "runs": [measure(n, extra) for n in args.rows]},
                     ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
