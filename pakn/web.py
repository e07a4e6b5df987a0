"""The HTTP app: the channels' routers plus health, with the journal writer started and stopped with it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi_standalone_docs import StandaloneDocs

from pakn import api_errors
from pakn.bodylimit import BodyLimitMiddleware
from pakn.intake import IntakeWriter
from pakn.responses import JSONResponse
from pakn.runtime import freeze_startup_heap, get_runtime

log = logging.getLogger(__name__)
FAVICON = Path(__file__).resolve().parent.parent / "channels" / "web" / "static" / "favicon.ico"


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = get_runtime()
        app.state.intake = IntakeWriter(runtime.redis_url)
        await app.state.intake.start()
        _ = runtime.catalog  # built now, then kept out of the collector's full passes
        freeze_startup_heap()
        try:
            yield
        finally:
            await app.state.intake.close()

    from channels.api import router as api_router
    from dispatcher.api import router as case_store_router
    from pakn.metrics import router as metrics_router

    app = FastAPI(
        title="PAKN Gateway",
        version="0.1.0",
        description="Intake of citizens' feedback (phản ánh, kiến nghị) from every channel.",
        lifespan=lifespan,
        default_response_class=JSONResponse,
    )
    api_errors.install(app)
    # /docs and /redoc load Swagger UI and ReDoc from the gateway itself: it often runs without internet.
    StandaloneDocs(app, swagger_favicon_url="/favicon.ico", redoc_favicon_url="/favicon.ico")
    app.add_middleware(BodyLimitMiddleware)  # before any handler buffers a body or checks its signature
    app.include_router(api_router)
    app.include_router(case_store_router)
    app.include_router(metrics_router)
    from channels.hotline.web import router as hotline_router

    app.include_router(hotline_router)
    from channels.chat import router as chat_router
    from channels.telegram.webhook import router as telegram_router

    app.include_router(chat_router)
    app.include_router(telegram_router)  # /telegram/webhook; its lifespan starts the bot in webhook mode
    from channels.web.routes import router as web_router

    app.include_router(web_router)  # citizen pages (/, /submit, /receipt, /lookup), Open311, statistics

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        """The browser asks for it on every page; without it, each page view logs a 404."""
        return FileResponse(FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
