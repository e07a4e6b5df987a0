"""`/metrics` in Prometheus format, read from the journal at scrape time.

Counting in the journal instead of in-process counters keeps the figures right however many web and
worker processes run, and across restarts.  Verdict counters count the verdict messages (append-only),
so a submission completed after `needs_information` counts both verdicts, as the citizen saw them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import case, func, select
from starlette.concurrency import run_in_threadpool

from pakn.app.runtime import Runtime, get_runtime
from pakn.app.upload_sweep import swept_key
from pakn.db import forwards, notifications, submissions
from pakn.journal import FAILED_BEFORE_VERDICT
from pakn.records import ForwardState

router = APIRouter(tags=["operations"])
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)
_VERDICT_KINDS = ("accepted", "needs_information", "rejected")


class JournalCollector:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        with self.runtime.journal.engine.connect() as conn:
            received = CounterMetricFamily(
                "pakn_submissions_received", "Submissions journaled, by channel.", labels=["channel"]
            )
            for channel, count in conn.execute(
                select(submissions.c.channel, func.count()).group_by(submissions.c.channel)
            ):
                received.add_metric([channel], count)
            yield received

            verdicts = CounterMetricFamily(
                "pakn_verdicts", "Verdicts given, by channel and verdict.", labels=["channel", "verdict"]
            )
            for channel, kind, count in conn.execute(
                select(submissions.c.channel, notifications.c.kind, func.count())
                .join(submissions, submissions.c.id == notifications.c.submission_id)
                .where(notifications.c.kind.in_(_VERDICT_KINDS))
                .group_by(submissions.c.channel, notifications.c.kind)
            ):
                verdicts.add_metric([channel, kind], count)
            yield verdicts

            forwarded = CounterMetricFamily(
                "pakn_forwarded", "Cases delivered to the case store, by channel.", labels=["channel"]
            )
            dead = GaugeMetricFamily(
                "pakn_dead_forwards",
                "Cases the case store refused or never took (`pakn dead list`).",
                labels=["channel"],
            )
            for channel, state, count in conn.execute(
                select(submissions.c.channel, forwards.c.state, func.count())
                .join(submissions, submissions.c.id == forwards.c.submission_id)
                .where(forwards.c.state.in_([ForwardState.DELIVERED, ForwardState.FAILED]))
                .group_by(submissions.c.channel, forwards.c.state)
            ):
                (forwarded if state == ForwardState.DELIVERED else dead).add_metric([channel], count)
            yield forwarded
            yield dead

            failed = GaugeMetricFamily(
                "pakn_failed_submissions",
                "Submissions the normalizer failed on NORMALIZE_MAX_ATTEMPTS times (`pakn dead list`).",
                labels=["channel"],
            )
            for channel, count in conn.execute(
                select(submissions.c.channel, func.count()).where(FAILED_BEFORE_VERDICT).group_by(submissions.c.channel)
            ):
                failed.add_metric([channel], count)
            yield failed

            by_status = GaugeMetricFamily("pakn_submissions", "Submissions by status now.", labels=["status"])
            for status, count in conn.execute(
                select(submissions.c.status, func.count()).group_by(submissions.c.status)
            ):
                by_status.add_metric([status], count)
            yield by_status

            latency = forwards.c.latency_seconds
            row = conn.execute(
                select(
                    *(func.sum(case((latency <= bound, 1), else_=0)) for bound in LATENCY_BUCKETS),
                    func.count(latency),
                    func.coalesce(func.sum(latency), 0.0),
                ).where(latency.is_not(None))
            ).one()
            buckets = [(str(bound), int(row[i] or 0)) for i, bound in enumerate(LATENCY_BUCKETS)]
            buckets.append(("+Inf", int(row[len(LATENCY_BUCKETS)])))
            yield HistogramMetricFamily(
                "pakn_forward_latency_seconds",
                "From receipt to delivery at the case store.",
                buckets=buckets,
                sum_value=float(row[len(LATENCY_BUCKETS) + 1]),
            )

        depth = GaugeMetricFamily("pakn_queue_depth", "Jobs waiting in each RQ queue.", labels=["queue"])
        try:
            for name, count in self.runtime.queues.depth().items():
                depth.add_metric([name], count)
        except Exception:  # Redis down: the journal figures are still worth serving
            pass
        yield depth

        swept = CounterMetricFamily(
            "pakn_abandoned_uploads_removed",
            "Kept uploads no submission referenced, removed by the sweeper after ABANDONED_UPLOAD_HOURS.",
        )
        try:
            removed: Any = self.runtime.queues.connection.get(swept_key(self.runtime))
            swept.add_metric([], int(removed or 0))
            yield swept
        except Exception:  # Redis down
            pass


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    registry = CollectorRegistry()
    registry.register(JournalCollector(get_runtime()))
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
