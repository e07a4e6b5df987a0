"""One shape for every error of the JSON API: ``{error, message[, errors]}``, the message in Vietnamese.

Endpoints answer their own errors; what they do not see (an unknown address, a wrong method, FastAPI's own
validation of a body or a path parameter, an unexpected crash) is answered here: in that shape on the
API's paths, as a Vietnamese page to a browser elsewhere; Open311, Twilio and Telegram keep FastAPI's own.
Pydantic's English (``Input should be a valid string``) never reaches a person: each problem is told from
the catalog by its error type, with the field's Vietnamese name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import PlainTextResponse, Response

from config.catalog import Messages
from pakn.edge import ApiError
from pakn.responses import JSONResponse

API_PREFIXES = ("/api/", "/hotline/api/")
# FastAPI puts where a value came from first in its locations; that is not part of a field's name.
_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})
_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
    429: "rate-limited",
    503: "unavailable",
}


# Machines' endpoints with answers of their own kind (Open311's error list, Twilio, Telegram): left as they are.
MACHINE_PREFIXES = ("/open311/", "/hotline/twilio/", "/telegram/", "/metrics")


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def _wants_page(request: Request) -> bool:
    """A person's browser (not the API, not another machine): answer with a Vietnamese page."""
    return not request.url.path.startswith(MACHINE_PREFIXES) and "text/html" in request.headers.get("accept", "")


# A browser's error page: (request, status, headers) → the page (the web application passes the citizen
# pages' own, so that this module, below the channels, imports none of them).
ErrorPage = Callable[[Request, int, Mapping[str, str] | None], Response]


def problem_text(messages: Messages, problem: Mapping[str, Any]) -> str:
    """What is wrong with one value, in Vietnamese, from pydantic's error type (never its English ``msg``)."""
    kind = str(problem.get("type", ""))
    key = kind if messages.has("api-problem", kind) else "other"
    context = {
        k: (", ".join(map(str, v)) if isinstance(v, list | tuple) else v) for k, v in (problem.get("ctx") or {}).items()
    }
    try:
        return messages.text("api-problem", key, **context)
    except (KeyError, IndexError):  # a rule's text names a value this error did not carry
        return messages.text("api-problem", "other")


def _field(location: Sequence[Any]) -> tuple[str, str]:
    """(dotted field path, its Vietnamese label) of a location; ("", "") for the body as a whole."""
    parts = list(location)
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    path = ".".join(str(part) for part in parts)
    names = [part for part in parts if isinstance(part, str)]
    return path, (names[-1] if names else path)


def validation_errors(messages: Messages, problems: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each problem as ``{field, type, message}``; a body that is not an object has no field."""
    details: list[dict[str, Any]] = []
    for problem in problems:
        path, name = _field(problem.get("loc", ()))
        kind = str(problem.get("type", ""))
        if not path:
            details.append({"type": kind, "message": messages.text("api", "body-not-object")})
            continue
        label = messages.text("api-field", name) if messages.has("api-field", name) else name
        text = messages.text("api", "invalid-field", field=path, label=label, problem=problem_text(messages, problem))
        details.append({"field": path, "type": kind, "message": text})
    return details


def validation_response(messages: Messages, error: ValidationError | RequestValidationError) -> JSONResponse:
    """422 ``invalid-fields`` (or ``invalid-json``) for a body that did not validate."""
    if isinstance(error, ValidationError):
        problems: Sequence[Mapping[str, Any]] = error.errors(
            include_url=False, include_context=True, include_input=False
        )
    else:
        problems = list(error.errors())
    if any(p.get("type") in ("json_invalid", "json_type") for p in problems):
        return JSONResponse({"error": "invalid-json", "message": messages.text("api", "invalid-json")}, 422)
    details = validation_errors(messages, problems)
    return JSONResponse({"error": "invalid-fields", "message": details[0]["message"], "errors": details}, 422)


def http_response(messages: Messages, request: Request, status: int, headers: Mapping[str, str] | None) -> JSONResponse:
    key = str(status) if messages.has("api-http", str(status)) else "other"
    allowed = (headers or {}).get("Allow", "")
    text = messages.text("api-http", key, path=request.url.path, method=request.method, allowed=allowed, status=status)
    code = _CODES.get(status, f"http-{status}")
    return JSONResponse({"error": code, "message": text}, status_code=status, headers=dict(headers or {}))


def _documented(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The OpenAPI document with FastAPI's own 422 body (``HTTPValidationError``) replaced by ``ApiError``."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault("ApiError", ApiError.model_json_schema(ref_template="#/components/schemas/{model}"))
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                answer = operation.get("responses", {}).get("422", {}).get("content", {}).get("application/json")
                if answer and answer.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                    answer["schema"] = {"$ref": "#/components/schemas/ApiError"}
        if "/HTTPValidationError" not in json.dumps(schema):
            components.pop("HTTPValidationError", None)
            components.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    return openapi


def install(app: FastAPI, messages: Callable[[], Messages], error_page: ErrorPage) -> None:
    """The API's paths (and any other non-machine client) get the error shape; a browser gets a Vietnamese
    page (``error_page``); Open311, Twilio and Telegram endpoints keep FastAPI's answers.  ``messages``
    gives the catalog's texts when an error is answered."""

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if not is_api(request.url.path):
            if _wants_page(request):
                return error_page(request, 400, None)
            return await request_validation_exception_handler(request, exc)
        return validation_response(messages(), exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not is_api(request.url.path):
            if _wants_page(request):
                return error_page(request, exc.status_code, exc.headers)
            if request.url.path.startswith(MACHINE_PREFIXES):
                return await http_exception_handler(request, exc)
        return http_response(messages(), request, exc.status_code, exc.headers)

    async def on_crash(request: Request, exc: Exception) -> Response:
        """A bug answers the API's shape too (the traceback goes to the log, by Starlette, not to the client)."""
        message = messages().text("api", "internal-error")
        if not is_api(request.url.path):
            if _wants_page(request):
                return error_page(request, 500, None)
            return PlainTextResponse(message, 500)
        return JSONResponse({"error": "internal", "message": message}, 500)

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
    app.openapi = _documented(app)  # type: ignore[method-assign]
