"""A layer upload as a job: the file is the job's input (in the database, not a temp file);
the worker writes it into the job's work directory, reads it and stores the layer in one
transaction with the job's ``done`` row. A killed worker's upload starts again on the next."""

import json
from pathlib import Path

from psycopg import Connection

from api.auth import audit
from api.jobs.kinds import Job, Progress, SingleKind, register
from api.state import tile_cache
from api.uploads import vector_limits
from layers.catalog.store import add_layer


class LayerUpload(SingleKind):
    name = "layer_upload"

    def run(self, conn: Connection, job: Job, progress: Progress) -> bytes | None:
        assert job.input is not None
        options = dict(job.params["options"])
        suffix = Path(options.get("filename") or "upload").suffix.lower()
        path = job.work_dir / f"upload{suffix}"
        path.write_bytes(job.input)
        new, report = add_layer(conn, path=path, progress=progress,
                                limits=vector_limits(job.settings.limits), **options)
        path.unlink(missing_ok=True)
        tile_cache(job.settings).invalidate(new.name)
        audit(conn, job.principal, action=options["mode"], resource=f"layer/{new.name}",
              detail={"version": new.version, "features": new.feature_count, "job": job.id})
        body = {"layer": new.as_dict(), "report": report.as_dict()}
        return json.dumps(body, ensure_ascii=False, default=str).encode()

    def links(self, job_id: int) -> dict[str, str]:
        return {"json": f"/layers/jobs/{job_id}"}


LAYER_UPLOAD = register(LayerUpload())
