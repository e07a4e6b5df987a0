"""The web channel's HTTP endpoints, as one router for ``pakn/app/web.py``."""

from __future__ import annotations

from fastapi import APIRouter

from channels.open311 import router as open311_router
from channels.web.admin import router as admin_router
from channels.web.answer import router as answer_router
from channels.web.completion import router as completion_router
from channels.web.livemap import router as livemap_router
from channels.web.pages import router as pages_router
from channels.web.rating import router as rating_router

router = APIRouter()
router.include_router(pages_router)
router.include_router(completion_router)
router.include_router(answer_router)
router.include_router(rating_router)
router.include_router(open311_router)
router.include_router(admin_router)
router.include_router(livemap_router)
