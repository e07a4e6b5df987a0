"""On PostgreSQL, values longer than their column are refused at the door, and never fail the
submissions committed in the same batch (the case that made 18 of 400 valid posts answer 503)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx

from tests.conftest import SYSTEM_REDIS, Gateway


def test_an_overlong_idempotency_key_is_refused_and_its_neighbours_are_stored(
    make_gateway: Callable[..., Gateway], postgres_url: str
) -> None:
    gateway = make_gateway(REDIS_URL=SYSTEM_REDIS, DATABASE_URL=postgres_url)
    gateway.start_all(workers=0)

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as client:
            posts = [
                client.post(
                    "/api/v1/submissions",
                    json={"content": f"Đèn đường số {i} không sáng."},
                    headers={"Idempotency-Key": "k" * 300 if i % 20 == 0 else f"key-{i}"},
                )
                for i in range(200)
            ]
            return await asyncio.gather(*posts)

    answers = asyncio.run(burst())
    for i, answer in enumerate(answers):
        if i % 20 == 0:
            assert answer.status_code == 400, answer.text
            assert "Idempotency-Key" in answer.json()["message"]
        else:
            assert answer.status_code == 202, (i, answer.text)
    assert json.loads(gateway.pakn("stats", "--json").stdout)["total"] == 190
