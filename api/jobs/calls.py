"""The long operations that are done whole (one transaction with the job's ``done`` row), as
jobs: building conflation, a quality run, a hotline reroute, a raster upload, an address import.
Each route but the import's runs them in the request by default and queues them with
``background=true``; the result is the same JSON the route would have answered, at
``GET /jobs/{id}/result``."""

import json
from datetime import datetime
from typing import Any

from psycopg import Connection

from address.register.imports.report import import_report
from address.register.imports.run import run_import
from api.auth import audit
from api.jobs.kinds import Job, Progress, SingleKind, register
from layers.catalog.collections import get_collection
from layers.catalog.quality import run_quality
from layers.hotline.tickets import reroute
from spatial.buildings.conflate import conflate
from spatial.rasters import register_raster


def as_json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, default=str).encode()


class _Whole(SingleKind):
    """A kind whose result is JSON at /jobs/{id}/result."""

    def links(self, job_id: int) -> dict[str, str]:
        return {"json": f"/jobs/{job_id}/result"}


class Conflation(_Whole):
    name = "conflation"

    def run(self, conn: Connection, job: Job, progress: Progress) -> bytes | None:
        counts = conflate(conn, sources=job.params["sources"])
        audit(conn, job.principal, action="conflate", resource="building",
              detail={**counts, "job": job.id})
        return as_json(counts)


class QualityRun(_Whole):
    name = "quality_run"

    def run(self, conn: Connection, job: Job, progress: Progress) -> bytes | None:
        resource = job.params["resource"]
        result = run_quality(conn, collection=get_collection(conn, cid=resource))
        audit(conn, job.principal, action="run", resource=f"quality/{resource}",
              detail={"job": job.id})
        return as_json(result)


class Reroute(_Whole):
    name = "hotline_reroute"

    def run(self, conn: Connection, job: Job, progress: Progress) -> bytes | None:
        counts = reroute(conn, since=datetime.fromisoformat(job.params["since"]))
        audit(conn, job.principal, action="reroute", resource="hotline/tickets",
              detail={**counts, "job": job.id})
        return as_json(counts)


class RasterUpload(_Whole):
    """The GeoTIFF is the job's input; written to the job's work directory, converted to a COG
    in the raster store."""

    name = "raster_upload"

    def run(self, conn: Connection, job: Job, progress: Progress) -> bytes | None:
        assert job.input is not None
        options = dict(job.params["options"])
        path = job.work_dir / "upload.tif"
        path.write_bytes(job.input)
        raster = register_raster(conn, path=path, owner=job.principal.name,
                                 store_dir=job.settings.raster_dir, replace=False, **options)
        path.unlink(missing_ok=True)
        audit(conn, job.principal, action="create", resource=f"raster/{raster.name}",
              detail={"job": job.id})
        return as_json(raster.as_dict())


MAX_ERRORS = 1000  # rejected rows in an import's result and GET /imports/{id} (--report has all)


class AddressImport(_Whole):
    """The rows the request staged (``import_row``), imported and reported in one transaction:
    a worker killed mid-way leaves nothing imported, and the next attempt starts from the staged
    rows again (they stay staged until the import ends)."""

    name = "address_import"

    def run(self, conn: Connection, job: Job, progress: Progress) -> bytes | None:
        import_id = int(job.params["import_id"])
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            progress(done)

        run_import(conn, import_id=import_id, progress=advance)
        return as_json(import_report(conn, import_id=import_id, max_errors=MAX_ERRORS))


CALLS = tuple(register(kind) for kind in (Conflation(), QualityRun(), Reroute(),
                                          RasterUpload(), AddressImport()))
