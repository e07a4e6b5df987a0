"""What the app layer provides to the channels' views, taken with ``Depends`` so a signature says what it needs.

``pakn.app.web`` puts them on ``app.state`` when the app starts: the one intake path (``channels.intake``)
and the runtime.  Nothing below the app looks the runtime up by itself where a view takes it from here.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from channels.intake import Intake
from channels.runtime import Runtime


def provided_intake(request: Request) -> Intake:
    """The app's intake (``pakn.app.web`` puts it on ``app.state`` when it starts)."""
    return cast(Intake, request.app.state.intake)


def provided_runtime(request: Request) -> Runtime:
    """The app's runtime (``pakn.app.web`` puts it on ``app.state`` when it starts)."""
    return cast(Runtime, request.app.state.runtime)


# The dependencies themselves are coroutines: FastAPI runs a plain function dependency in its thread pool,
# a hop per request that cost the JSON API a quarter of its intake rate (bench_load).
async def _intake_of(request: Request) -> Intake:
    return provided_intake(request)


async def _runtime_of(request: Request) -> Runtime:
    return provided_runtime(request)


IntakeDep = Annotated[Intake, Depends(_intake_of)]
RuntimeDep = Annotated[Runtime, Depends(_runtime_of)]
