"""The HTTP app: the channels' routers plus health, with the journal writer started and stopped with it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from fastapi_standalone_docs import StandaloneDocs
from starlette.responses import Response
from starlette.types import Scope

from channels.api import router as api_router
from channels.chat import router as chat_router
from channels.hotline.web import router as hotline_router
from channels.intake import Intake
from channels.telegram.webhook import router as telegram_router
from channels.web.pages import message_page, texts
from channels.web.routes import router as web_router
from channels.web.uploads import human_size
from channels.zalo.webhook import router as zalo_router
from config.catalog import Messages
from dispatcher.api import make_router as make_case_store_router
from pakn import api_errors, ratelimit
from pakn.app.metrics import router as metrics_router
from pakn.app.runtime import freeze_startup_heap, get_runtime
from pakn.app.triage import router as triage_router
from pakn.bodylimit import BodyLimitMiddleware
from pakn.intake import IntakeWriter
from pakn.responses import JSONResponse

log = logging.getLogger(__name__)
FAVICON = Path(__file__).resolve().parents[2] / "channels" / "web" / "static" / "favicon.ico"


def error_page(request: Request, status: int, headers: Mapping[str, str] | None = None) -> Response:
    """A browser's error page, in Vietnamese (``pakn.api_errors``)."""
    text = texts(get_runtime())
    message = text.get(f"page-{status}") or text["page-other"].format(status=status)
    response = message_page(request, status, message, title=text["page-error-title"])
    response.headers.update(dict(headers or {}))
    return response


def too_large_page(scope: Scope, limit: int) -> Response:
    """A browser's 413 page (``pakn.bodylimit``)."""
    return message_page(Request(scope), 413, texts(get_runtime())["request-too-large"].format(size=human_size(limit)))


def _messages() -> Messages:
    return get_runtime().catalog.messages


def _limits() -> ratelimit.Limits:
    runtime = get_runtime()
    return ratelimit.limits_on(runtime.settings, runtime.redis_url)


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = get_runtime()
        writer = IntakeWriter(runtime.redis_url)
        await writer.start()
        # What the channels' views take with Depends (channels.intake): the one intake path and the runtime.
        app.state.intake = Intake(writer.submit)
        app.state.runtime = runtime
        _ = runtime.catalog  # built now, then kept out of the collector's full passes
        freeze_startup_heap()
        try:
            yield
        finally:
            await writer.close()

    app = FastAPI(
        title="PAKN Gateway",
        version="0.1.0",
        description="Intake of citizens' feedback (phản ánh, kiến nghị) from every channel.",
        lifespan=lifespan,
        default_response_class=JSONResponse,
    )
    api_errors.install(app, _messages, error_page)
    ratelimit.configure(_limits)
    # /docs and /redoc load Swagger UI and ReDoc from the gateway itself: it often runs without internet.
    StandaloneDocs(app, swagger_favicon_url="/favicon.ico", redoc_favicon_url="/favicon.ico")
    # Before any handler buffers a body or checks its signature.
    app.add_middleware(BodyLimitMiddleware, deps=get_runtime, page=too_large_page)
    app.include_router(api_router)
    app.include_router(make_case_store_router(get_runtime))
    app.include_router(metrics_router)
    app.include_router(hotline_router)
    app.include_router(chat_router)
    app.include_router(telegram_router)  # /telegram/webhook; its lifespan starts the bot in webhook mode
    app.include_router(zalo_router)  # /zalo/webhook; its lifespan starts the loop that answers on Zalo
    app.include_router(web_router)  # citizen pages (/, /submit, /receipt, /lookup), Open311, statistics
    app.include_router(triage_router)  # the IT centre's inbox: corrects verdicts, forwards (the dispatcher's contract)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        """The browser asks for it on every page; without it, each page view logs a 404."""
        return FileResponse(FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
