"""Every page of the UI: the routers of each part, mounted at the root of the server."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from mloop.ui import pages_models, pages_runs

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/runs", status_code=303)


router.include_router(pages_runs.router)
router.include_router(pages_models.router)
