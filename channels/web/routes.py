"""The web channel's HTTP endpoints, as one router for ``pakn/web.py``."""

from __future__ import annotations

from fastapi import APIRouter

from channels.open311 import router as open311_router
from channels.web.admin import router as admin_router
from channels.web.pages import router as pages_router

router = APIRouter()
router.include_router(pages_router)
router.include_router(open311_router)
router.include_router(admin_router)
