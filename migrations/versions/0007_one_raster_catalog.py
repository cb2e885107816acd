"""one raster catalog: raster_layer's rows and columns move into raster

Revision ID: 0007
Revises: 0006
"""
import json
import math
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCESS = "access_level IN ('public', 'internal', 'restricted')"
_LAYER_COLUMNS = """id, name, title, access_level, owner, path, bounds, minzoom, maxzoom,
    band_count, dtype, nodata, stats"""


def _file_facts(path: str, bounds: list[float]) -> dict[str, object]:
    """CRS, size and resolution (m) of a stored COG, which raster_layer did not keep."""
    import rasterio

    with rasterio.open(path) as src:  # a missing file stops the migration: nothing is lost
        res = abs(src.res[0])
        if src.crs.is_geographic:
            res *= 111_320.0 * math.cos(math.radians((bounds[1] + bounds[3]) / 2))
        return {"crs": src.crs.to_string(), "width": src.width, "height": src.height,
                "resolution": round(res, 3)}


def upgrade() -> None:
    op.add_column("raster", sa.Column("title", sa.Text(), server_default=sa.text("''"),
                                      nullable=False))
    op.add_column("raster", sa.Column("access_level", sa.String(length=16),
                                      server_default=sa.text("'internal'"), nullable=False))
    op.add_column("raster", sa.Column("owner", sa.Text(), server_default=sa.text("''"),
                                      nullable=False))
    for name, kind in (("minzoom", sa.Integer()), ("maxzoom", sa.Integer()),
                       ("band_count", sa.Integer()), ("dtype", sa.String(length=16))):
        op.add_column("raster", sa.Column(name, kind, nullable=True))
    op.add_column("raster", sa.Column("stats", postgresql.JSONB(astext_type=sa.Text()),
                                      server_default=sa.text("'{}'"), nullable=False))
    op.execute("UPDATE raster SET title = name")
    op.drop_constraint(op.f("ck_raster_kind"), "raster", type_="check")
    op.create_check_constraint(op.f("ck_raster_kind"), "raster", "kind IN ('dsm', 'dem', 'other')")
    op.create_check_constraint(op.f("ck_raster_access_level"), "raster", ACCESS)
    connection = op.get_bind()
    for row in connection.execute(sa.text(f"SELECT {_LAYER_COLUMNS} FROM raster_layer")).mappings():
        facts = _file_facts(row["path"], list(row["bounds"]))
        connection.execute(sa.text(
            """INSERT INTO raster (name, title, kind, access_level, owner, path, crs, width,
                   height, resolution, nodata, source, geom, minzoom, maxzoom, band_count,
                   dtype, stats)
               VALUES (:name, :title, 'other', :access_level, :owner, :path, :crs, :width,
                   :height, :resolution, :nodata, :name,
                   ST_MakeEnvelope(:w, :s, :e, :n, 4326), :minzoom, :maxzoom, :band_count,
                   :dtype, CAST(:stats AS jsonb))"""),
            {**row, **facts, "stats": json.dumps(row["stats"]), "w": row["bounds"][0],
             "s": row["bounds"][1], "e": row["bounds"][2], "n": row["bounds"][3]})
    op.drop_table("raster_layer")


def downgrade() -> None:
    op.create_table(
        "raster_layer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("access_level", sa.String(length=16), server_default=sa.text("'internal'"),
                  nullable=False),
        sa.Column("owner", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("bounds", postgresql.ARRAY(sa.Float()), nullable=False),
        sa.Column("minzoom", sa.Integer(), nullable=False),
        sa.Column("maxzoom", sa.Integer(), nullable=False),
        sa.Column("band_count", sa.Integer(), nullable=False),
        sa.Column("dtype", sa.String(length=16), nullable=False),
        sa.Column("nodata", sa.Float(), nullable=True),
        sa.Column("stats", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint(ACCESS, name=op.f("ck_raster_layer_access_level")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raster_layer")),
        sa.UniqueConstraint("name", name=op.f("uq_raster_layer_name")),
    )
    op.execute(
        """INSERT INTO raster_layer (name, title, access_level, owner, path, bounds, minzoom,
               maxzoom, band_count, dtype, nodata, stats)
           SELECT name, title, access_level, owner, path,
                  ARRAY[ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)], minzoom,
                  maxzoom, band_count, dtype, nodata, stats
           FROM raster WHERE kind = 'other'""")
    op.execute("DELETE FROM raster WHERE kind = 'other'")
    op.drop_constraint(op.f("ck_raster_access_level"), "raster", type_="check")
    op.drop_constraint(op.f("ck_raster_kind"), "raster", type_="check")
    op.create_check_constraint(op.f("ck_raster_kind"), "raster", "kind IN ('dsm', 'dem')")
    for name in ("stats", "dtype", "band_count", "maxzoom", "minzoom", "owner", "access_level",
                 "title"):
        op.drop_column("raster", name)
