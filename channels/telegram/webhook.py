"""Webhook mode: Telegram POSTs each update to ``/telegram/webhook`` of the gateway's HTTP app.

Every request must carry the secret given to ``setWebhook`` in ``X-Telegram-Bot-Api-Secret-Token``
(403 otherwise, and always 403 when no secret is configured: an open webhook would let anyone file
submissions in a citizen's name).  The update is handled before the answer, so a 200 means its turn
is committed; on failure the answer is 500 and Telegram delivers the update again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from telegram import Update

from channels.depends import RuntimeDep
from channels.runtime import Runtime
from channels.telegram.bot import FAILED, build_application, sweep_idle_forever
from pakn.responses import JSONResponse

log = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"


class _Bot:
    """The application of this web process, started at the first need if Telegram was away at start-up."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.application: Any = None
        self.lock = asyncio.Lock()

    async def get(self) -> Any:
        async with self.lock:
            if self.application is None:
                application = build_application(self.runtime, polling=False)
                await application.initialize()  # getMe
                self.application = application
            return self.application


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The app's lifespan (pakn.app.web) runs around this one and has put its runtime on app.state by now.
    runtime: Runtime = app.state.runtime
    settings = runtime.settings
    app.state.telegram = None
    if settings.telegram.bot_token is None or not settings.telegram.webhook_url:
        yield
        return
    bot = app.state.telegram = _Bot(runtime)
    sweeper: asyncio.Task[None] | None = None
    try:
        application = await bot.get()
        secret = settings.telegram.secret_token
        await application.bot.set_webhook(
            url=settings.telegram.webhook_url,
            secret_token=secret.get_secret_value() if secret else None,
            allowed_updates=Update.ALL_TYPES,
        )
        sweeper = asyncio.create_task(sweep_idle_forever(application))
        log.info("telegram webhook registered")
    except Exception as error:  # the HTTP API must come up even when Telegram cannot be reached
        log.warning("telegram bot not ready at start-up (%s); retried at the first update", type(error).__name__)
    try:
        yield
    finally:
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        if bot.application is not None:
            await bot.application.shutdown()


router = APIRouter(tags=["chatbot"], lifespan=lifespan)


@router.post(
    "/telegram/webhook",
    responses={
        200: {"description": "The update was handled (or was a repeat of one handled before)."},
        403: {"description": "Missing or wrong X-Telegram-Bot-Api-Secret-Token."},
        500: {"description": "Not handled; Telegram delivers it again."},
    },
)
async def telegram_webhook(request: Request, runtime: RuntimeDep) -> Response:
    """Updates from Telegram (setWebhook with secret_token); not for other callers."""
    settings = runtime.settings
    secret = settings.telegram.secret_token
    given = request.headers.get(SECRET_HEADER, "")
    if secret is None or not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        return JSONResponse({"error": "forbidden"}, status_code=403)
    bot: _Bot | None = getattr(request.app.state, "telegram", None)
    if bot is None:
        return JSONResponse({"error": "telegram-off"}, status_code=404)
    try:
        data = await request.json()
    except ValueError:
        return JSONResponse({"error": "invalid-json"}, status_code=400)
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return JSONResponse({"error": "not-an-update"}, status_code=400)
    try:
        application = await bot.get()
    except Exception as error:
        log.warning("telegram bot not ready (%s)", type(error).__name__)
        return JSONResponse({"error": "unavailable"}, status_code=503)
    update = Update.de_json(data, application.bot)
    await application.process_update(update)
    if update.update_id in application.bot_data[FAILED]:
        application.bot_data[FAILED].discard(update.update_id)
        return JSONResponse({"error": "failed"}, status_code=500)
    return JSONResponse({"ok": True})
