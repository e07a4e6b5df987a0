"""Through a running gateway (web, worker, sweeper): one poisoned submission in a batch of good ones.

The good ones reach the case store; the poisoned one is retried, ends `failed` after NORMALIZE_MAX_ATTEMPTS,
shows in `pakn dead list` and `/metrics`, its citizen is told staff will look at it, and `pakn replay --failed`
sends it through once the fault is gone.  The fault is real: a test-only failpoint read by the job
(PAKN_TEST_FAIL_NORMALIZE), since after the channels' repairs no real input is known to make it raise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import SYSTEM_REDIS, Gateway, wait_until
from tests.samples import submission

POISON = "poisoned-marker-51c2"


def status(gateway: Gateway, code: str) -> dict[str, object]:
    return dict(httpx.get(f"{gateway.url}/api/v1/submissions/{code}", timeout=10).json())


def test_a_poisoned_submission_fails_alone_and_is_replayed(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(
        REDIS_URL=SYSTEM_REDIS,
        NORMALIZE_MAX_ATTEMPTS="2",
        BATCH_WINDOW_SECONDS="2",
        PAKN_TEST_FAIL_NORMALIZE=POISON,
    )
    gateway.pakn("db", "upgrade")
    gateway.start("web", "web")
    gateway.wait_healthy()
    bodies = [submission(20 + i) for i in range(4)]
    bodies.insert(2, submission(30, content=f"Nắp cống trước số 31 bị vỡ, rất nguy hiểm. {POISON}"))

    def post(body: dict[str, object]) -> str:
        return str(httpx.post(f"{gateway.url}/api/v1/submissions", json=body, timeout=10).json()["tracking_code"])

    # All at once, so that they fall in one batch window (one job) even when each post is slow.
    with ThreadPoolExecutor(len(bodies)) as pool:
        codes = list(pool.map(post, bodies))
    poisoned, good = codes[2], codes[:2] + codes[3:]
    gateway.start("worker0", "worker")
    gateway.start("sweeper", "sweeper")

    wait_until(lambda: all(status(gateway, c)["status"] == "forwarded" for c in good), 60, "the good ones forwarded")
    assert re.search(r"normalized \d+ of \d+: \{'accepted': [1-9], 'error': 1\}", gateway.log("worker0")), (
        "the poisoned one was in a job with good ones"
    )
    wait_until(lambda: status(gateway, poisoned)["status"] == "failed", 60, "the poisoned one failed")
    dead = json.loads(gateway.pakn("dead", "list", "--json").stdout)
    assert [(d["kind"], d["tracking_code"], d["attempts"]) for d in dead] == [("submission", poisoned, 2)]
    assert "PAKN_TEST_FAIL_NORMALIZE" in dead[0]["error"]
    assert "submission  " + poisoned in gateway.pakn("dead", "list").stdout.decode()
    view = status(gateway, poisoned)
    assert [m["kind"] for m in view["messages"]] == ["under_review"]  # type: ignore[union-attr]
    metrics = httpx.get(f"{gateway.url}/metrics", timeout=10).text
    assert 'pakn_failed_submissions{channel="api"} 1.0' in metrics
    assert len(gateway.cases()) == 4

    # The fault is fixed (a new release): the operator replays what failed.
    gateway.kill("worker0")
    del gateway.env["PAKN_TEST_FAIL_NORMALIZE"]
    gateway.start("worker1", "worker")
    assert "đã đưa lại vào hàng đợi 1 phản ánh" in gateway.pakn("replay", "--failed").stdout.decode()
    wait_until(lambda: status(gateway, poisoned)["status"] == "forwarded", 60, "the replayed one forwarded")
    assert json.loads(gateway.pakn("dead", "list", "--json").stdout) == []
    assert sorted(code for _, code in gateway.cases()) == sorted(codes)


def test_a_submission_that_kills_its_worker_fails_alone(make_gateway: Callable[..., Gateway]) -> None:
    """Its job dies with the good ones of its batch: they come back one per job and get their verdicts; it
    comes back alone until NORMALIZE_MAX_ATTEMPTS jobs died with it, then it is `failed`.  The test restarts
    a dead worker, as `pakn run` (or any supervisor) does."""
    gateway = make_gateway(
        REDIS_URL=SYSTEM_REDIS,
        NORMALIZE_MAX_ATTEMPTS="2",
        BATCH_WINDOW_SECONDS="0.5",
        PAKN_TEST_CRASH_NORMALIZE=POISON,
    )
    gateway.pakn("db", "upgrade")
    gateway.start("web", "web")
    gateway.wait_healthy()
    bodies = [submission(40), submission(41, content=f"Rác thải không được thu gom. {POISON}"), submission(42)]
    codes = [
        httpx.post(f"{gateway.url}/api/v1/submissions", json=body, timeout=10).json()["tracking_code"]
        for body in bodies
    ]
    gateway.start("worker", "worker")
    gateway.start("sweeper", "sweeper")
    deaths = 0

    def supervised(done: Callable[[], bool]) -> Callable[[], bool]:
        def check() -> bool:
            nonlocal deaths
            if gateway.processes["worker"].poll() is not None:
                deaths += 1
                gateway.start("worker", "worker")
            return done()

        return check

    good = [codes[0], codes[2]]
    forwarded = supervised(lambda: all(status(gateway, c)["status"] == "forwarded" for c in good))
    wait_until(forwarded, 90, "the good ones forwarded")
    wait_until(supervised(lambda: status(gateway, codes[1])["status"] == "failed"), 90, "the poisoned one failed")
    (dead,) = json.loads(gateway.pakn("dead", "list", "--json").stdout)
    assert dead["tracking_code"] == codes[1] and "never finished" in dead["error"]
    attempts = gateway.journal("select attempts from submissions where tracking_code = ?", codes[1])
    assert attempts == [(3,)], "two jobs died with it; the third claim gave up without running it"
    assert deaths == 2
    assert status(gateway, codes[1])["messages"][0]["kind"] == "under_review"  # type: ignore[index]
