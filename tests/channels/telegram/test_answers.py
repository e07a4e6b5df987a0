"""Every answer is filed under the question it answers: the conversation as random sequences.

The conversation engine runs in this process on a real SQLite journal (no Telegram, no worker): the
citizen answers in any order, sends pins inside and outside the province, and the bot restarts in
between.  Whatever happens, a stored answer is always one given for that field.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.telegram.conversation import CONFIRM, Incoming, TelegramConversations
from channels.telegram.store import ConversationStore
from config.settings import Settings, TelegramSettings
from pakn import tracking
from pakn.app.runtime import Runtime
from pakn.migrate import upgrade

CHAT = 4242
# Answers people give, by the field they answer; no value reads as two fields.
ANSWERS: dict[str, tuple[str, ...]] = {
    "content": (
        "Đèn đường trước nhà số 12 không sáng đã ba đêm, người đi đường rất dễ bị ngã.",
        "Rác thải đổ bừa bãi ở bãi đất trống cạnh chợ gây ô nhiễm, bốc mùi hôi thối nhiều ngày.",
    ),
    "location": (
        "số 12 đường Trần Phú, phường Nha Trang",
        "trước cổng chợ Xóm Mới",
        "thôn 2, xã Cam Lâm, tỉnh Khánh Hòa",
    ),
    "incident_time": ("tối qua", "21h ngày 12/9/2024", "Khoảng 01:22 02/12/2025", "khoảng tuần trước"),
    "name": ("Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Nam"),
    "phone": ("0905 123 456", "0912345678"),
}
INSIDE = (12.238791, 109.196749)  # Nha Trang
OUTSIDE = (21.028511, 105.804817)  # Hà Nội

answers = st.sampled_from([(field, value) for field, values in ANSWERS.items() for value in values])
actions = st.one_of(
    answers.map(lambda a: ("say", a)),
    st.sampled_from([("pin", INSIDE), ("pin", OUTSIDE), ("restart", None), ("command", "/start")]),
)


@pytest.fixture(scope="module")
def journal_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data = tmp_path_factory.mktemp("answers")
    # The queue is never reached before a confirm, which these sequences do not press.
    made = Settings(
        pakn_data_dir=data,
        redis_url="redis://127.0.0.1:1/0",
        telegram=TelegramSettings(location_bounds="11.4,108.6,13.0,109.5"),
    )
    upgrade(made.journal_url)
    return made


def incoming(kind: str, value: object, update_ids: Iterator[int]) -> Incoming:
    update_id = next(update_ids)
    if kind == "say":
        _field, text = value  # type: ignore[misc]
        return Incoming(update_id, CHAT, "text", text=text)
    if kind == "pin":
        latitude, longitude = value  # type: ignore[misc]
        return Incoming(update_id, CHAT, "location", latitude=latitude, longitude=longitude)
    command = str(value)
    return Incoming(update_id, CHAT, "command", text=command, command=command.lstrip("/"))


UPDATE_IDS = itertools.count(1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(actions, min_size=1, max_size=14))
def test_stored_answers_always_hold_what_was_asked_for_them(
    journal_settings: Settings, steps: list[tuple[str, object]]
) -> None:
    engine = TelegramConversations(Runtime(journal_settings))
    engine.handle(Incoming(next(UPDATE_IDS), CHAT, "command", text="/huy", command="huy"))
    engine.handle(Incoming(next(UPDATE_IDS), CHAT, "command", text="/phananh", command="phananh"))
    for kind, value in steps:
        if kind == "restart":
            engine = TelegramConversations(Runtime(journal_settings))
            continue
        replies = engine.handle(incoming(kind, value, UPDATE_IDS)).replies
        assert replies, "every message gets an answer"
        stored = ConversationStore(engine.runtime.journal.engine).load(CHAT)
        assert stored is not None and stored.conversation is not None
        conversation = stored.conversation
        for field, answer in conversation.answers.items():
            if field == "location" and answer.startswith("Vị trí trên bản đồ"):
                assert conversation.pin is not None
                assert (conversation.pin["latitude"], conversation.pin["longitude"]) == INSIDE
                continue
            assert answer in ANSWERS[field], f"{field} holds {answer!r}"
        assert conversation.step in (*ANSWERS, CONFIRM), "a question is always open"


def test_a_time_given_for_the_place_is_explained_and_the_place_asked_again(journal_settings: Settings) -> None:
    engine = TelegramConversations(Runtime(journal_settings))
    say = lambda text: [r.text for r in engine.handle(Incoming(next(UPDATE_IDS), CHAT, "text", text=text)).replies]  # noqa: E731
    engine.handle(Incoming(next(UPDATE_IDS), CHAT, "command", text="/phananh", command="phananh"))
    say(ANSWERS["content"][0])
    pin = engine.handle(Incoming(next(UPDATE_IDS), CHAT, "location", latitude=OUTSIDE[0], longitude=OUTSIDE[1]))
    assert "ngoài phạm vi" in pin.replies[0].text and "ở đâu" in pin.replies[-1].text

    replies = say("Khoảng 01:22 02/12/2025")
    assert replies[0].startswith("«Khoảng 01:22 02/12/2025» có vẻ là thời gian, chưa phải địa điểm")
    assert "ở đâu" in replies[-1], "the same question stays open"
    replies = say("Nguyễn Văn An")
    assert "có vẻ là họ và tên, chưa phải địa điểm" in replies[0] and "ở đâu" in replies[-1]

    pin = engine.handle(Incoming(next(UPDATE_IDS), CHAT, "location", latitude=INSIDE[0], longitude=INSIDE[1]))
    assert pin.replies[0].text == "Đã nhận vị trí trên bản đồ." and "lúc nào" in pin.replies[-1].text
    replies = say("Nguyễn Văn An")
    assert "có vẻ là họ và tên, chưa phải thời gian" in replies[0] and "lúc nào" in replies[-1]
    assert "họ và tên" in say("tối qua")[-1]
    assert "có vẻ là thời gian, chưa phải họ và tên" in say("21h ngày 12/9/2024")[0]
    assert "số điện thoại" in say("Nguyễn Văn An")[-1]
    summary = say("0912345678")[-1]
    assert "Điện thoại: 0912 345 678" in summary, "phones read as people write them"
    stored = ConversationStore(engine.runtime.journal.engine).load(CHAT)
    assert stored is not None and stored.conversation is not None
    assert stored.conversation.answers["incident_time"] == "tối qua"
    assert stored.conversation.answers["name"] == "Nguyễn Văn An"


def test_the_help_example_code_is_a_valid_code(journal_settings: Settings) -> None:
    messages = Runtime(journal_settings).catalog.messages
    example = messages.text("telegram", "lookup-usage").rsplit(" ", 1)[-1]
    assert tracking.parse(example) == example
