"""(stub) routes of the server's REST API; see mloop.server.app."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
