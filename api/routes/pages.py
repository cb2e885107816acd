"""The web pages: the district map at ``/``."""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def map_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html")
