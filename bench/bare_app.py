"""The yardstick for bench_load: a bare FastAPI endpoint that only appends the JSON to a list."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI()
received: list[Any] = []


@app.post("/api/v1/submissions", status_code=202)
async def submit(request: Request) -> Response:
    received.append(await request.json())
    return Response(b'{"status":"received"}', status_code=202, media_type="application/json")
