"""The yardsticks for bench_load: bare FastAPI endpoints that only append the JSON to a list.

``/api/v1/submissions`` parses with ``await request.json()``; ``/model/api/v1/submissions`` takes the
same pydantic body model as the gateway's endpoint (the usual FastAPI form, as in the notes).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from channels.api import SubmissionIn

app = FastAPI()
received: list[Any] = []


@app.post("/api/v1/submissions", status_code=202)
async def submit(request: Request) -> Response:
    received.append(await request.json())
    return Response(b'{"status":"received"}', status_code=202, media_type="application/json")


@app.post("/model/api/v1/submissions", status_code=202)
async def submit_model(body: SubmissionIn) -> Response:
    received.append(body)
    return Response(b'{"status":"received"}', status_code=202, media_type="application/json")
