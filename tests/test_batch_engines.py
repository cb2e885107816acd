"""Batch work on Ray (a real local Ray with two CPUs, started once for the module) gives what
the in-process run gives: batch geocoding, conflation's matching and quality rules."""

import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from typer.testing import CliRunner

from address.engine import LocalEngine, RayEngine, Worker, open_engine, row_ranges
from address.errors import BadRequest
from address.geocode.batch import geocode_batch, geocode_texts, lean, warm_parser
from address.geocode.batch_files import BatchInput, read_batch, write_batch
from layers.catalog.collections import get_collection
from layers.catalog.quality import id_bounds, run_quality, set_rules
from spatial.buildings.conflate import conflate, load_footprints
from spatial.buildings.match import align, match_pairs
from spatial.buildings.partition import Packed, _decoded, engine_pairs, strips
from spatial.buildings.sample import SOURCES
from tests.district import QINGPU

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def module_conn(module_database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(module_database_url, autocommit=True) as connection:
        yield connection


@pytest.fixture(scope="module")
def engine(module_database_url: str) -> Iterator[RayEngine]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    runner = RayEngine(workers=2, dsn=module_database_url, setup=warm_parser)
    yield runner
    runner.close()
    ray.shutdown()


def _texts(conn: psycopg.Connection, n: int) -> list[str]:
    rng = random.Random(16)
    register = [r[0] for r in conn.execute("SELECT canonical FROM address ORDER BY id")]
    spoil = [lambda t: t, lambda t: t.removeprefix("上海市"),
             lambda t: f"{t}{rng.randint(1, 30)}室", lambda t: f"来电反映{t}门口垃圾没人清理",
             lambda t: t[: len(t) // 2]]
    return [rng.choice(spoil)(rng.choice(register)) for _ in range(n)] + ["", "火星"]


def test_batch_geocode_on_ray_is_the_in_process_run(engine, module_conn, tmp_path):
    texts = _texts(module_conn, 800)
    expected = [lean(r) for r in geocode_texts(module_conn, texts, districts=QINGPU)]
    got = geocode_batch(engine, texts, districts=QINGPU, part_rows=200)
    assert got == expected
    assert sum(r.best is not None for r in got) > 600
    data = BatchInput(["id", "text"], texts, rows=[{"id": str(i), "text": t}
                                                   for i, t in enumerate(texts)])
    for suffix in (".csv", ".parquet"):
        write_batch(tmp_path / f"local{suffix}", data, expected, None, wgs84=True)
        write_batch(tmp_path / f"ray{suffix}", data, got, None, wgs84=True)
    assert (tmp_path / "local.csv").read_bytes() == (tmp_path / "ray.csv").read_bytes()
    assert (tmp_path / "local.parquet").read_bytes() == (tmp_path / "ray.parquet").read_bytes()


def test_geoparquet_in_and_out(module_conn, tmp_path):
    import geopandas as gpd

    texts = _texts(module_conn, 40)
    source = tmp_path / "in.parquet"
    points = [shapely.Point(121.1, 31.1)] * len(texts)
    gpd.GeoDataFrame({"id": range(len(texts)), "text": texts}, geometry=points,
                     crs=4326).to_parquet(source)
    data = read_batch(source)
    assert data.texts == texts and "geometry" not in data.columns
    with open_engine("local", conn=module_conn) as local:
        results = geocode_batch(local, data.texts, districts=QINGPU)
    write_batch(tmp_path / "out.parquet", data, results, None, wgs84=True)
    out = gpd.read_parquet(tmp_path / "out.parquet")
    assert out.crs.to_epsg() == 4326 and list(out["id"]) == list(range(len(texts)))
    found = out[out["lng"].notna()]
    assert len(found) > 30 and not found.geometry.is_empty.any()
    assert np.allclose(found.geometry.x, found["lng"]) and out["confidence"].dtype == float
    assert out.geometry[out["lng"].isna()].isna().all() and out["lng"].isna().sum() >= 2
    pd.DataFrame({"name": ["x"]}).to_parquet(tmp_path / "no_text.parquet")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    for name in ("no_text.parquet", "bad.parquet"):
        with pytest.raises(BadRequest):
            read_batch(tmp_path / name)


def test_conflation_pairs_on_ray_are_the_in_process_pairs(engine, module_conn):
    fp = load_footprints(module_conn, sources=list(SOURCES))
    ref = match_pairs(align(fp.metric, fp.rank), fp.rank)
    order = np.lexsort((ref.right, ref.left))
    got = engine_pairs(engine, fp.metric, fp.rank, parts=5)
    for name in ("left", "right", "iou", "overlap"):
        assert np.array_equal(getattr(ref, name)[order], getattr(got, name)), name
    # the halo matters: some matched pairs have their footprints owned by two strips
    parts = list(strips(shapely.bounds(fp.metric), 5))
    owner = np.empty(len(fp.ids), dtype=np.int64)
    for i, part in enumerate(parts):
        owner[part.rows[part.owned]] = i
    assert len(parts) == 5 and (owner[got.left] != owner[got.right]).sum() > 0
    assert sum(int(p.owned.sum()) for p in parts) == len(fp.ids)


def test_conflation_pairs_in_process_engine_and_kept_strips(module_conn):
    """With one worker pass 2 takes every strip pass 1 decoded; a worker without them (another
    worker's strip) decodes them again, and a new run drops what an older one kept."""
    fp = load_footprints(module_conn, sources=list(SOURCES))
    ref = match_pairs(align(fp.metric, fp.rank), fp.rank)
    local = LocalEngine()
    got = engine_pairs(local, fp.metric, fp.rank, parts=3)
    assert np.array_equal(got.left, ref.left[np.lexsort((ref.right, ref.left))])
    assert local._worker.state["strips"][1] == {}
    part, worker = list(strips(shapely.bounds(fp.metric), 3))[1], Worker()
    packed = Packed.of(fp.metric[part.rows], fp.rank[part.rows])
    kept = _decoded(worker, packed, ("old", 1), keep=True)
    assert (shapely.to_wkb(kept) == shapely.to_wkb(fp.metric[part.rows])).all()
    again = _decoded(worker, packed, ("new", 1), keep=False)
    assert again is not kept and worker.state["strips"] == ("new", {})


def test_packed_footprints_come_back_identical():
    """Plain polygons travel as coordinates, the rest (holes, multipolygons, Z, M, empty) as
    WKB; every one is rebuilt exactly, in its row."""
    square = shapely.box(0, 0, 10, 10)
    holed = shapely.Polygon(square.exterior.coords, [[(2, 2), (4, 2), (4, 4), (2, 2)]])
    multi = shapely.MultiPolygon([shapely.box(20, 0, 21.5, 1.25), holed])
    geoms = np.array([square, holed, shapely.box(0.1, 0.2, 0.30000000000000004, 7), multi,
                      shapely.Polygon([(0, 0, 1), (1, 0, 2), (1, 1, 3)]), shapely.Polygon(),
                      shapely.Polygon([(5, 5), (6, 5.5), (5, 6), (4.5, 5.25)]),
                      shapely.from_wkt("POLYGON M ((0 0 1, 1 0 2, 1 1 3, 0 0 1))")], dtype=object)
    packed = Packed.of(geoms, np.arange(len(geoms), dtype=np.int64))
    assert packed.simple.tolist() == [True, False, True, False, False, False, True, False]
    back = packed.geoms()
    assert shapely.equals_identical(back, geoms).all()
    assert (shapely.to_wkb(back) == shapely.to_wkb(geoms)).all()
    for only in ([square], [multi]):  # no plain polygon, or nothing else
        rows = np.array(only, dtype=object)
        assert shapely.equals_identical(Packed.of(rows, np.zeros(1, dtype=np.int64)).geoms(),
                                        rows).all()


def test_conflate_on_ray_keeps_every_building(engine, module_conn):
    """The template's buildings were conflated in process: on Ray every component comes out
    with the same key and digest, so nothing is written again."""
    with module_conn.transaction(force_rollback=True):
        counts = conflate(module_conn, sources=list(SOURCES), engine=engine)
    assert counts["inserted"] == 0 and counts["deleted"] == 0 and counts["unchanged"] > 5000


def test_quality_rules_on_ray_are_the_in_process_run(engine, module_conn):
    addresses = get_collection(module_conn, cid="addresses")
    set_rules(module_conn, collection=addresses, rules=[
        {"rule": "pattern", "field": "code", "regex": "^[0-9]+$"},
        {"rule": "unique", "field": "canonical"}, {"rule": "inside_district"},
        {"rule": "required", "field": "community_code"}])
    local = run_quality(module_conn, collection=addresses)
    on_ray = run_quality(module_conn, collection=addresses, engine=engine, parts=7)
    assert on_ray["results"] == local["results"] and on_ray["score"] == local["score"]
    assert len(id_bounds(module_conn, collection=addresses, parts=7)) == 7
    buildings = get_collection(module_conn, cid="buildings")
    local = run_quality(module_conn, collection=buildings)
    assert run_quality(module_conn, collection=buildings, engine=engine)["results"] == local[
        "results"]


def test_local_engine_and_partitions():
    assert row_ranges(5, 2) == [range(0, 2), range(2, 4), range(4, 5)]
    assert list(LocalEngine().map(lambda worker, part: part * 2, [1, 2])) == [2, 4]
    with pytest.raises(BadRequest), open_engine("spark"):
        pass


def test_cli_engine_flags(cli_runner: CliRunner, tmp_path: Path, database_url: str):
    from api.cli.main import app

    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,上海市青浦区盈港东路1号\n2,火星\n", encoding="utf-8")
    result = cli_runner.invoke(app, ["geocode", "--batch", str(src), "--out",
                                     str(tmp_path / "out.parquet"), "--engine", "local"])
    assert result.exit_code == 0, result.output
    assert len(pd.read_parquet(tmp_path / "out.parquet")) == 2
    result = cli_runner.invoke(app, ["geocode", "--batch", str(src), "--out",
                                     str(tmp_path / "out.csv"), "--engine", "flink"])
    assert result.exit_code != 0
