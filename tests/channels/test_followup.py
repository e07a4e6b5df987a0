"""What counts as a status request in a mail or an SMS (``channels.followup.quoted``): the code and words of
asking after it, in any case, with or without diacritics; anything more is information (a completion, or a
new submission).  The channels' own tests prove the answers end to end."""

from __future__ import annotations

import pytest

from channels.followup import quoted
from pakn import tracking

CODE = tracking.new_code()


@pytest.mark.parametrize(
    "text",
    [
        CODE,
        CODE.lower().replace("-", " "),
        f"tra cứu {CODE}",
        f"Tra cuu {CODE.lower()}",
        f"/tracuu {CODE}",
        f"Mã số: {CODE}",
        f"Re: [{CODE}] Tình trạng phản ánh, kiến nghị",
        f"Cho hỏi tình trạng phản ánh {CODE} của tôi thế nào rồi ạ?",
        f"Xin kiểm tra giúp mã {CODE}",
    ],
)
def test_a_status_request(text: str) -> None:
    found = quoted(text)
    assert found is not None and found.code == CODE and found.lookup_only


@pytest.mark.parametrize(
    "text",
    [
        f"{CODE}: địa điểm số 4 đường Yersin, phường Nha Trang",
        f"Re: [{CODE}] Đề nghị bổ sung thông tin",
        f"Bổ sung cho mã {CODE}: tôi là Nguyễn Văn An",
    ],
)
def test_a_code_with_information(text: str) -> None:
    found = quoted(text)
    assert found is not None and found.code == CODE and not found.lookup_only


def test_no_valid_code_is_no_follow_up() -> None:
    assert quoted("Đèn đường hỏng ở số 12 Trần Phú") is None
    assert quoted("PAKN-0000-0001") is None, "a mistyped code (its check symbol) is no code"
