"""``POST /zalo/webhook``: the events of the Zalo Official Account, as Zalo sends them.

A call is refused (403) unless ``X-ZEvent-Signature`` is Zalo's signature of it with our app id and OA
secret key and its timestamp is within ZALO_MAX_EVENT_AGE_SECONDS of now (always 403 when either
setting is missing: an open webhook would let anyone file submissions in a citizen's name).  A signed
event is stored in the inbox and answered 200 at once, well within Zalo's 2 s; the web process's Zalo
loop does the conversation's work and replies through the OA API.  A redelivered event (same msg_id)
is answered 200 and recognised as such.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response

from channels.depends import RuntimeDep
from channels.runtime import Runtime
from channels.zalo.chat import ZaloChat, http_client
from channels.zalo.events import SIGNATURE_HEADER, Refused, verify
from channels.zalo.inbox import Inbox
from pakn.db import utcnow
from pakn.responses import JSONResponse

log = logging.getLogger(__name__)


async def run_chat(chat: ZaloChat, wake: asyncio.Event, interval: float) -> None:
    """Handle stored events as they come (woken by the webhook; a look every ``interval`` regardless)."""
    swept = 0.0
    while True:
        wake.clear()
        try:
            await asyncio.to_thread(chat.process_pending)
            if time.monotonic() - swept >= interval:
                swept = time.monotonic()
                await asyncio.to_thread(chat.expire_idle)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the next round tries again
            log.warning("zalo round failed: %s", type(error).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=interval)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The app's lifespan (pakn.app.web) runs around this one and has put its runtime on app.state by now.
    runtime: Runtime = app.state.runtime
    settings = runtime.settings
    app.state.zalo_wake = None
    if not settings.zalo.app_id or settings.zalo.oa_secret_key is None:
        yield
        return
    wake = app.state.zalo_wake = asyncio.Event()
    http = http_client()
    task = asyncio.create_task(run_chat(ZaloChat(runtime, http), wake, settings.chatbot.sweep_interval_seconds))
    log.info("zalo webhook ready")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        http.close()


router = APIRouter(tags=["chatbot"], lifespan=lifespan)


@router.post(
    "/zalo/webhook",
    responses={
        200: {"description": "The event is stored (or was stored before: `duplicate` true)."},
        400: {"description": "Signed, but not an event (no event_name or user)."},
        403: {"description": "Missing or wrong X-ZEvent-Signature, another app id, or a stale timestamp."},
        500: {"description": "Not stored; Zalo delivers it again."},
    },
)
async def zalo_webhook(request: Request, runtime: RuntimeDep) -> Response:
    """Events of the Zalo Official Account (its webhook URL); not for other callers."""
    raw = await request.body()
    try:
        event = verify(runtime.settings, request.headers.get(SIGNATURE_HEADER, ""), raw, utcnow())
    except Refused as refused:
        return JSONResponse({"error": refused.reason}, status_code=refused.status)
    try:
        new = await asyncio.to_thread(Inbox(runtime.journal.engine).accept, event, utcnow())
    except Exception as error:
        log.error("zalo event %s not stored: %s", event.event_id, type(error).__name__)
        return JSONResponse({"error": "failed"}, status_code=500)
    wake: asyncio.Event | None = getattr(request.app.state, "zalo_wake", None)
    if wake is not None:
        wake.set()
    if not new:
        log.info("zalo event %s delivered again: recognised", event.event_id)
    return JSONResponse({"ok": True, "duplicate": not new})
