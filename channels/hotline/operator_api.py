"""The operator API: call-centre software logs calls by itself (``Authorization: Bearer <token>``).

Tokens belong to operator accounts (``pakn operators token USERNAME``).  ``call_id`` is the software's
own id of the call and makes a retry safe: the same id gives the same tracking code.  Passing the PBX's
``pbx_uniqueid`` links the call to its PBX record, so ``pakn hotline import-cdr`` never lists it as
missed.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import Field, StrictStr
from starlette.concurrency import run_in_threadpool

from channels.depends import IntakeDep, RuntimeDep
from channels.hotline import auth, store
from channels.hotline.calls import live_findings, log_call
from channels.hotline.payloads import CallLog, CallOutcome
from channels.intake import Refusal
from pakn.responses import JSONResponse

log = logging.getLogger(__name__)

router = APIRouter(prefix="/hotline/api/v1", tags=["hotline operator API"])
Caller = Annotated[store.Operator, Depends(auth.api_operator)]


class CallIn(CallLog):
    call_id: StrictStr = Field(min_length=1, max_length=128, description="The call-centre's id of this call.")
    pbx_uniqueid: StrictStr | None = Field(None, max_length=128, description="Asterisk's uniqueid of the call.")


@router.post(
    "/calls",
    status_code=201,
    responses={
        200: {"description": "The same call_id again: the first answer (duplicate)."},
        401: {"description": "Missing or wrong bearer token."},
        413: {"description": "Body too large."},
        422: {"description": "A field missing (content of a case call) or of the wrong type."},
        503: {"description": "The journal could not store the case now; log it again (same call_id)."},
    },
)
async def create_call(body: CallIn, operator: Caller, intake: IntakeDep, runtime: RuntimeDep) -> JSONResponse:
    """Log one call; a ``case`` call is journaled and answered with its tracking code."""
    if body.outcome is CallOutcome.CASE and not (body.content or "").strip():
        # The console's rule too: a case without content is nothing the console (or anyone) can act on.
        message = runtime.catalog.messages.text("api", "required-field", field="content")
        return JSONResponse(
            {"error": "invalid-fields", "message": message, "errors": [{"field": "content", "message": message}]},
            status_code=422,
        )
    engine = runtime.journal.engine
    call_key = f"pbx:{body.pbx_uniqueid}" if body.pbx_uniqueid else f"api:{operator.username}:{body.call_id}"
    existing = await run_in_threadpool(store.call_by_key, engine, call_key)
    entry = CallLog.model_validate(body.model_dump(exclude={"call_id", "pbx_uniqueid", "operator", "call_key"}))
    logged = await log_call(
        intake,
        engine,
        entry,
        operator,
        source="api",
        source_id=f"api:{operator.username}:{body.call_id}",
        call_key=call_key,
        existing_call_id=existing["id"] if existing else None,
    )
    if isinstance(logged, Refusal):  # nothing stored: the software logs the call again (same call_id)
        message = runtime.catalog.messages.text("api", "unavailable")
        return JSONResponse({"error": "unavailable", "message": message}, status_code=503)
    settings = runtime.settings
    answer: dict[str, Any] = {
        "call": logged.call_id,
        "tracking_code": logged.tracking_code,
        "duplicate": logged.duplicate,
    }
    if logged.tracking_code:
        answer["status_url"] = f"{settings.base_url}/api/v1/submissions/{logged.tracking_code}"
    return JSONResponse(answer, status_code=200 if logged.duplicate else 201)


@router.post(
    "/findings",
    responses={401: {"description": "Missing or wrong bearer token."}, 413: {"description": "Body too large."}},
)
async def findings(body: CallLog, _operator: Caller, runtime: RuntimeDep) -> JSONResponse:
    """What the normalizer would say about the call so far (for the software's own form)."""
    return JSONResponse(await run_in_threadpool(live_findings, runtime.settings, body))


@router.get("/missed-calls")
async def missed(_operator: Caller, runtime: RuntimeDep) -> JSONResponse:
    """Calls waiting for a call-back, newest first, with the recorded message when there is one."""
    rows = await run_in_threadpool(store.missed_calls, runtime.journal.engine, 200)
    return JSONResponse(
        [
            {
                "call": r["id"],
                "source": r["source"],
                "from": r["from_number"],
                "started_at": r["started_at"].isoformat(),
                "status": r["status"],
                "recording_url": r["recording_url"],
                "recording_seconds": r["recording_seconds"],
            }
            for r in rows
        ]
    )


# Call ids are the journal's INTEGER keys (32 bits on PostgreSQL): a larger one names no call, and would
# otherwise reach the database as a value it cannot take.
CALL_ID_MAX = 2**31 - 1


@router.post(
    "/missed-calls/{call}/called-back",
    status_code=204,
    responses={401: {"description": "Missing or wrong bearer token."}, 404: {"description": "No such missed call."}},
)
async def called_back(call: Annotated[int, Path(ge=1, le=CALL_ID_MAX)], _operator: Caller, runtime: RuntimeDep) -> None:
    if not await run_in_threadpool(store.mark_called_back, runtime.journal.engine, call):
        raise HTTPException(404, "no such missed call")
