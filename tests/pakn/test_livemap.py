"""The live map's figures (``pakn.livemap``) from a real journal, SQLite and PostgreSQL: pins from the channels'
journaled coordinates, counts per commune and where each commune is drawn, the filters, confidentiality and
the cap on pins."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from channels.pins import PINS
from channels.telegram import payload as telegram_payload
from channels.web.payload import CONTENT_TYPE as WEB
from channels.web.payload import WebPayload
from pakn import livemap
from pakn.db import make_engine
from pakn.journal import Journal
from pakn.migrate import upgrade
from pakn.records import (
    Channel,
    GeoPoint,
    NormalizationResult,
    NormalizedCase,
    PlaceMatch,
    RawSubmission,
    Verdict,
    Verdicted,
)

NOW = datetime.now(UTC)
KNOWN, UNKNOWN, BARE = "22366", "99991", "99992"  # a commune with a point in the data, one without, one with no pins


def journal_for(url: str) -> Journal:
    upgrade(url)
    return Journal(make_engine(url), stale_after=timedelta(seconds=30))


def submit(journal: Journal, source: str, channel: Channel, content_type: str, raw: bytes, commune: str | None,
           category: str = "moi-truong-do-thi", confidential: bool = False) -> str:  # fmt: skip
    """A submission as the intake records it, then as the normalize job records its verdict."""
    (receipt,) = journal.intake.record([RawSubmission(channel, source, raw, content_type, NOW)])
    journal.normalization.claim_submissions([receipt.submission_id], timedelta(seconds=30))
    place = PlaceMatch("nơi xảy ra", "Tỉnh Khánh Hòa", "56", f"Phường {commune}", commune) if commune else None
    case = NormalizedCase(content="Rác thải.", category=category, location=place, name="Nguyễn Văn An",
                          confidential=confidential)  # fmt: skip
    result = NormalizationResult(Verdict.ACCEPTED, (), case)
    payload = json.dumps({"tracking_code": receipt.tracking_code})
    journal.normalization.finish_normalizations(
        [Verdicted(receipt.submission_id, result, payload, f"pakn-{receipt.tracking_code}")]
    )
    return receipt.tracking_code


def web(lat: float | None, lon: float | None, confidential: bool = False) -> bytes:
    return WebPayload(content="Rác thải.", latitude=lat, longitude=lon, confidential=confidential).to_bytes()


def chat(lat: float, lon: float) -> bytes:
    document = {"version": 1, "chat_id": 7, "fields": {"content": "Rác thải."},
                "location_pin": {"latitude": lat, "longitude": lon}}  # fmt: skip
    return json.dumps(document).encode()


def test_pins_and_communes_from_the_journal(journal_url: str) -> None:
    journal = journal_for(journal_url)
    codes = {
        "web": submit(journal, "w1", Channel.WEB, WEB, web(12.25, 109.19), KNOWN),
        "chat-a": submit(journal, "t1", Channel.TELEGRAM, telegram_payload.CONTENT_TYPE, chat(12.0, 109.0), UNKNOWN),
        "chat-b": submit(
            journal,
            "t2",
            Channel.TELEGRAM,
            telegram_payload.CONTENT_TYPE,
            chat(12.2, 109.2),
            UNKNOWN,
            category="giao-thong-van-tai",
        ),
        "secret": submit(
            journal, "w2", Channel.WEB, WEB, web(12.3, 109.3, confidential=True), KNOWN, confidential=True
        ),
        "api": submit(journal, "a1", Channel.API, "application/json", b'{"content": "x"}', BARE),
        "nowhere": submit(journal, "w3", Channel.WEB, WEB, web(None, None), None),
    }
    points = {KNOWN: GeoPoint(12.24579, 109.19533)}
    everything = livemap.MapFilter(NOW - timedelta(days=1), NOW + timedelta(days=1))
    shown = livemap.build(journal.engine, everything, PINS, points, limit=100)
    assert shown.matched == 6 and shown.without_commune == 1 and shown.hidden_pins == 1
    assert {p.tracking_code for p in shown.pins} == {codes["web"], codes["chat-a"], codes["chat-b"]}
    web_pin = next(p for p in shown.pins if p.tracking_code == codes["web"])
    assert (web_pin.point, web_pin.channel, web_pin.commune_code) == (GeoPoint(12.25, 109.19), "web", KNOWN)
    communes = {c.code: c for c in shown.communes}
    assert communes[KNOWN].count == 2  # the confidential case counts, its pin is not shown
    assert (communes[KNOWN].point, communes[KNOWN].point_from) == (points[KNOWN], "data")
    # A commune the data has no point for is drawn at the mean of its own pins; with none, only listed.
    assert communes[UNKNOWN].point_from == "pins" and communes[UNKNOWN].point is not None
    assert round(communes[UNKNOWN].point.latitude, 6) == 12.1 and round(communes[UNKNOWN].point.longitude, 6) == 109.1
    assert (communes[BARE].count, communes[BARE].point, communes[BARE].point_from) == (1, None, "")

    telegram = livemap.MapFilter(everything.since, everything.until, channel="telegram")
    by_channel = livemap.build(journal.engine, telegram, PINS, points, limit=100)
    assert by_channel.matched == 2 and [c.code for c in by_channel.communes] == [UNKNOWN]
    by_field = livemap.build(journal.engine, livemap.MapFilter(everything.since, everything.until,
                             category="giao-thong-van-tai"), PINS, points, limit=100)  # fmt: skip
    assert [p.tracking_code for p in by_field.pins] == [codes["chat-b"]]
    by_status = livemap.build(journal.engine, livemap.MapFilter(everything.since, everything.until,
                              status="rejected"), PINS, points, limit=100)  # fmt: skip
    assert by_status.matched == 0 and by_status.pins == () and by_status.communes == ()
    before = livemap.build(journal.engine, livemap.MapFilter(NOW - timedelta(days=3), NOW - timedelta(days=2)),
                           PINS, points, limit=100)  # fmt: skip
    assert before.matched == 0
    # A pin waits for the verdict (only then is confidentiality known); the case counts at once.
    journal.intake.record([RawSubmission(Channel.WEB, "w4", web(12.4, 109.4, confidential=True), WEB, NOW)])
    waiting = livemap.build(journal.engine, everything, PINS, points, limit=100)
    assert waiting.matched == 7 and waiting.pins == shown.pins and waiting.without_commune == 2
    # The cap keeps the newest pins; every case still counts in its commune.
    capped = livemap.build(journal.engine, everything, PINS, points, limit=1)
    assert len(capped.pins) == 1 and capped.pins_left_out == 2 and capped.pins[0].tracking_code == codes["chat-b"]
    assert {c.code: c.count for c in capped.communes} == {c.code: c.count for c in shown.communes}


def test_the_shipped_points_cover_every_commune_the_normalizer_knows() -> None:
    from normalizer.fields.places import DATA_FILE

    codes = {row[0] for row in json.loads(DATA_FILE.read_text(encoding="utf-8"))["communes"]}
    points = livemap.load_points()
    assert set(points) == codes and len(codes) == 3321
    nha_trang = points["22366"]  # Phường Nha Trang, Khánh Hòa
    assert 12.1 < nha_trang.latitude < 12.4 and 109.1 < nha_trang.longitude < 109.3
