"""The week's summary is claimed once per ISO week in the journal (SQLite and PostgreSQL), even by two
sweepers at the same moment, and a send that fails part-way resends only to those who did not get it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from config.settings import Settings, SmtpRelaySettings, SummarySettings, TelegramSettings
from pakn.app.summary import Week, due_week, send_week
from pakn.app.summary_senders import channel_senders
from pakn.db import make_engine
from pakn.journal import Journal
from pakn.migrate import upgrade
from tests.conftest import free_port
from tests.standins.smtp_relay import SmtpRelayStandIn
from tests.standins.telegram_api import TelegramApiStandIn

TOKEN = "123456789:AAE-summary-token"
LEASE = timedelta(seconds=300)


def journal_for(url: str) -> Journal:
    upgrade(url)
    return Journal(make_engine(url), stale_after=timedelta(seconds=30))


def test_two_sweepers_at_once_claim_a_week_once_and_a_sent_week_stays_sent(journal_url: str) -> None:
    first, second = journal_for(journal_url), Journal(make_engine(journal_url))
    now = datetime.now(UTC)
    for attempt in range(5):  # several rounds: the two reach the claim together each time
        week = f"2026-W{10 + attempt}"
        barrier = threading.Barrier(2)
        won: list[bool] = []

        def claim(
            journal: Journal, owner: str, week: str = week, barrier: threading.Barrier = barrier, won: list[bool] = won
        ) -> None:
            barrier.wait()
            won.append(journal.summaries.claim(week, owner, now, LEASE))

        threads = [threading.Thread(target=claim, args=(j, f"sweeper-{i}")) for i, j in enumerate((first, second))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(won) == [False, True], (week, won)
    week = "2026-W48"
    assert first.summaries.claim(week, "a", now, LEASE)
    assert not second.summaries.claim(week, "b", now + timedelta(seconds=10), LEASE), "the lease holds"
    assert second.summaries.claim(week, "b", now + LEASE + timedelta(seconds=1), LEASE), "a lapsed lease is taken over"
    assert not first.summaries.finish(week, "a", now), "a sender that lost its lease cannot finish the week"
    second.summaries.mark_sent(week, "email:lanhdao@khanhhoa.gov.vn", now)
    assert second.summaries.finish(week, "b", now)
    assert first.summaries.state(week) == "sent"
    later = now + timedelta(days=2)
    assert not first.summaries.claim(week, "c", later, LEASE), "sent once: never claimed again"
    assert first.summaries.sent_to(week) == {"email:lanhdao@khanhhoa.gov.vn"}
    assert first.summaries.claim(week, "c", later, LEASE, again=True), "by hand, again"
    assert first.summaries.sent_to(week) == set(), "again: everyone gets it anew"
    for journal in (first, second):
        journal.engine.dispose()


@dataclass(frozen=True)
class Deps:
    settings: Settings
    journal: Journal


@pytest.fixture
def relay() -> Iterator[SmtpRelayStandIn]:
    stand_in = SmtpRelayStandIn(free_port()).start()
    yield stand_in
    stand_in.stop()


def test_a_send_that_fails_part_way_resends_only_the_rest(
    journal_url: str, tmp_path: Path, relay: SmtpRelayStandIn
) -> None:
    journal = journal_for(journal_url)
    closed = f"http://127.0.0.1:{free_port()}/bot"  # nothing listens: the Telegram send fails for real
    summary = SummarySettings(emails=("lanhdao@khanhhoa.gov.vn",), telegram_chats=("4242",))
    settings = Settings(
        pakn_data_dir=tmp_path,
        database_url=journal_url,
        summary=summary,
        smtp_relay=SmtpRelaySettings(host="127.0.0.1", port=relay.port),
        telegram=TelegramSettings(bot_token=SecretStr(TOKEN), api_base_url=closed),
    )
    deps = Deps(settings, journal)
    now = datetime.now(UTC)
    week = Week.of(now.date())
    first = send_week(deps, week, now, channel_senders(settings, journal.engine))
    assert first is not None
    assert (first.sent, first.failed) == (("email:lanhdao@khanhhoa.gov.vn",), ("telegram:4242",))
    assert len(relay.messages()) == 1 and journal.summaries.state(week.label) == "sending"
    assert send_week(deps, week, now, channel_senders(settings, journal.engine)) is None, "leased until it lapses"

    api = TelegramApiStandIn(TOKEN).start()
    try:
        working = settings.model_copy(
            update={"telegram": TelegramSettings(bot_token=SecretStr(TOKEN), api_base_url=api.api_base_url)}
        )
        later = now + LEASE + timedelta(seconds=1)
        second = send_week(Deps(working, journal), week, later, channel_senders(working, journal.engine))
        assert second is not None
        assert (second.sent, second.skipped, second.failed) == (
            ("telegram:4242",),
            ("email:lanhdao@khanhhoa.gov.vn",),
            (),
        )
        assert len(relay.messages()) == 1, "the leader who had the mail does not get it twice"
        (text,) = [m["text"] for m in api.messages_to(4242)]
        assert week.label in text and "Tiếp nhận: 0" in text
        assert journal.summaries.state(week.label) == "sent"
        assert (
            send_week(Deps(working, journal), week, later + LEASE * 2, channel_senders(working, journal.engine)) is None
        )
    finally:
        api.stop()
        journal.engine.dispose()


def test_the_week_is_due_from_its_weekday_and_time_in_the_province_until_it_ends() -> None:
    settings = Settings(summary=SummarySettings())  # Friday 16:00, Asia/Ho_Chi_Minh
    zone = ZoneInfo(settings.timezone)
    week = Week.parse("2026-W48")
    assert week is not None and week.day(1).isoformat() == "2026-11-23" and week.previous().label == "2026-W47"
    assert Week.parse("2026-W54") is None and Week.parse("2026-48") is None
    friday = datetime(2026, 11, 27, 16, 0, tzinfo=zone)
    assert due_week(settings, friday - timedelta(minutes=1)) is None
    assert due_week(settings, friday.astimezone(UTC)) == week, "09:00 UTC is 16:00 in Vietnam"
    assert due_week(settings, datetime(2026, 11, 29, 23, 59, tzinfo=zone)) == week, "still this week on Sunday night"
    assert due_week(settings, datetime(2026, 11, 30, 0, 1, tzinfo=zone)) is None, "a new week, not yet due"
    monday = Settings(summary=SummarySettings(weekday=1, time="00:00"))
    assert due_week(monday, datetime(2026, 11, 30, 0, 0, tzinfo=zone)) == Week.parse("2026-W49")
