"""The hotline's HTTP endpoints, as one router for ``pakn/app/web.py``."""

from __future__ import annotations

from fastapi import APIRouter

from channels.hotline.console import router as console_router
from channels.hotline.operator_api import router as operator_api_router
from channels.hotline.twilio_hooks import router as twilio_router

router = APIRouter()
router.include_router(twilio_router)
router.include_router(console_router)
router.include_router(operator_api_router)
