"""The job kinds the workers run: importing a kind's module registers it (docs/jobs.md)."""

from api.jobs import calls, energy_recompute, geocode_batch, layer_upload
from api.jobs.kinds import KINDS, Kind

SHIPPED = (geocode_batch.GEOCODE_BATCH, layer_upload.LAYER_UPLOAD,
           energy_recompute.ENERGY_RECOMPUTE, *calls.CALLS)


def kind_of(name: str) -> Kind:
    return KINDS[name]
