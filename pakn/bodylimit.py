"""Request bodies bounded while they stream in, on every endpoint, before any handler reads them.

A handler that calls ``request.body()`` (to check a signature, say) would otherwise buffer whatever a
client sends: a 400 MB body to a webhook took the web process from ~400 MB to ~880 MB of memory.  This
pure-ASGI middleware counts the bytes of each ``http.request`` message as the server hands them over
(chunked or with a Content-Length), refuses a declared Content-Length over the limit at once, and
answers 413 as soon as the count passes it; the handler then sees the client as gone, and whatever it
tries to send is dropped.  The 413 closes the connection, so the server stops reading the rest.

Before the 413 goes out, the rest of a body a few times over the limit is read and thrown away
(``DRAIN_MAX_BYTES``, ``DRAIN_SECONDS``, nothing kept): most clients send the whole body before they
read the answer, and a connection closed with their bytes still unread is reset, which loses the 413
(an httpx client posting 5 MB to a 1 MB endpoint got a ReadError, never the message).  A body larger
still is answered at once and cut off.

Limits per path (longest matching prefix): ``BODY_MAX_BYTES_BY_PATH``, then ``WEB_REQUEST_MAX_BYTES``
for the web form's ``/submit``, else ``MAX_BODY_BYTES``.  The 413 speaks each endpoint family's
error shape: JSON ``{error, message}`` for the JSON APIs, GeoReport's ``[{code, description}]`` (or
``<errors>`` for ``.xml``) for Open311, the citizen's HTML page for the web pages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any, Protocol

from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from config.catalog import Catalog
from config.settings import Settings
from pakn.responses import JSONResponse

log = logging.getLogger(__name__)

WEB_FORM_PATH = "/submit"
DRAIN_MAX_BYTES = 32 * 1024 * 1024
DRAIN_SECONDS = 10.0


def limits_of(settings: Settings) -> Callable[[str], int]:
    """The largest body accepted on a path, bytes: the longest matching prefix's limit, else the default."""
    overrides = {WEB_FORM_PATH: settings.web.request_max_bytes, **settings.body_max_bytes_by_path}
    table = sorted(((prefix.rstrip("/"), limit) for prefix, limit in overrides.items()), key=lambda p: -len(p[0]))
    default = settings.max_body_bytes

    def limit_for(path: str) -> int:
        for prefix, limit in table:
            if path == prefix or path.startswith(prefix + "/"):
                return limit
        return default

    return limit_for


class BodyLimitDeps(Protocol):
    """What the middleware reads, once the process's runtime is made (``pakn.app.runtime.Runtime`` is one)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def catalog(self) -> Catalog: ...


# A 413 in one family's shape: (scope, limit, catalog, the citizen's page) → the answer.
Render = Callable[[Scope, int, Catalog, Callable[[Scope, int], Response]], Response]


def _api(scope: Scope, limit: int, catalog: Catalog, page: Callable[[Scope, int], Response]) -> Response:
    message = catalog.messages.text("api", "too-large", limit=limit)
    return JSONResponse({"error": "too-large", "message": message}, status_code=413)


def _open311(scope: Scope, limit: int, catalog: Catalog, page: Callable[[Scope, int], Response]) -> Response:
    message = catalog.messages.text("api", "too-large", limit=limit)
    if str(scope.get("path", "")).endswith(".xml"):  # GeoReport's XML errors (channels/open311/formats.py)
        errors = ET.Element("errors")
        error = ET.SubElement(errors, "error")
        ET.SubElement(error, "code").text = "413"
        ET.SubElement(error, "description").text = message
        document = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(errors, encoding="unicode").encode()
        return Response(document, 413, media_type="text/xml; charset=utf-8")
    return JSONResponse([{"code": 413, "description": message}], status_code=413)


def _twilio(scope: Scope, limit: int, catalog: Catalog, page: Callable[[Scope, int], Response]) -> Response:
    return PlainTextResponse("request too large", status_code=413)


def _page(scope: Scope, limit: int, catalog: Catalog, page: Callable[[Scope, int], Response]) -> Response:
    return page(scope, limit)


# Longest prefix first: the family whose error shape a 413 takes.
_FAMILIES: tuple[tuple[str, Render], ...] = (
    ("/hotline/twilio/", _twilio),
    ("/hotline/api/", _api),
    ("/open311/", _open311),
    ("/telegram/", _api),
    ("/api/", _api),
    ("/hints", _api),
    ("/", _page),
)


def too_large_response(scope: Scope, limit: int, catalog: Catalog, page: Callable[[Scope, int], Response]) -> Response:
    path: str = scope.get("path", "/")
    render = next(render for prefix, render in _FAMILIES if path.startswith(prefix))
    response = render(scope, limit, catalog, page)
    response.headers["Connection"] = "close"  # the server stops reading the rest of the body
    return response


class BodyLimitMiddleware:
    """413 once a request body passes its endpoint's limit; nothing over it is ever buffered."""

    def __init__(
        self,
        app: ASGIApp,
        deps: Callable[[], BodyLimitDeps],
        page: Callable[[Scope, int], Response],
        limit: Callable[[str], int] | None = None,
    ) -> None:
        """``deps`` is asked at the first request (the process's runtime is made by then); ``page`` answers a
        person's browser (the citizen pages' own 413 page, passed in by the web application)."""
        self.app = app
        self._deps = deps
        self._page = page
        self._limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._limit is None:
            self._limit = limits_of(self._deps().settings)
        limit = self._limit(scope.get("path", "/"))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            log.info("body of %s refused: Content-Length %d over %d", scope.get("path"), declared, limit)
            if declared <= DRAIN_MAX_BYTES:
                await _drain(receive)
            await too_large_response(scope, limit, self._deps().catalog, self._page)(scope, receive, send)
            return
        state: dict[str, Any] = {"received": 0, "started": False, "refused": False}

        async def guarded_send(message: Message) -> None:
            if state["refused"]:
                return  # the 413 went out; the handler's own answer is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        async def counted_receive() -> Message:
            if state["refused"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    log.info("body of %s refused: more than %d bytes", scope.get("path"), limit)
                    if not state["started"]:
                        if message.get("more_body", False):
                            await _drain(receive, state["received"])
                        await too_large_response(scope, limit, self._deps().catalog, self._page)(scope, receive, send)
                    state["refused"] = True
                    return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not state["refused"]:
                raise
            log.debug("handler of a refused body ended with an error", exc_info=True)


async def _drain(receive: Receive, received: int = 0) -> None:
    """Read the rest of a refused body and throw it away, until DRAIN_MAX_BYTES in all or DRAIN_SECONDS."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            while received <= DRAIN_MAX_BYTES:
                message = await receive()
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return
                received += len(message.get("body", b""))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None
