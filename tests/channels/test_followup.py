"""What counts as a status request in a mail or an SMS (``channels.followup.quoted``): the code and words of
asking after it, in any case, with or without diacritics; anything more is information (a completion, or a
new submission).  The channels' own tests prove the answers end to end."""

from __future__ import annotations

import pytest

from channels.followup import quoted
from pakn import tracking

CODE = tracking.new_code()
# The texts name the code as {code} and are filled in by the test: a test's name must be the same in every
# process that collects it (pytest-xdist), and the code is new each run.


def filled(text: str) -> str:
    return text.format(code=CODE, lower=CODE.lower(), lower_spaced=CODE.lower().replace("-", " "))


@pytest.mark.parametrize(
    "text",
    [
        "{code}",
        "{lower_spaced}",
        "tra cứu {code}",
        "Tra cuu {lower}",
        "/tracuu {code}",
        "Mã số: {code}",
        "Re: [{code}] Tình trạng phản ánh, kiến nghị",
        "Cho hỏi tình trạng phản ánh {code} của tôi thế nào rồi ạ?",
        "Xin kiểm tra giúp mã {code}",
    ],
)
def test_a_status_request(text: str) -> None:
    found = quoted(filled(text))
    assert found is not None and found.code == CODE and found.lookup_only


@pytest.mark.parametrize(
    "text",
    [
        "{code}: địa điểm số 4 đường Yersin, phường Nha Trang",
        "Re: [{code}] Đề nghị bổ sung thông tin",
        "Bổ sung cho mã {code}: tôi là Nguyễn Văn An",
    ],
)
def test_a_code_with_information(text: str) -> None:
    found = quoted(filled(text))
    assert found is not None and found.code == CODE and not found.lookup_only


def test_no_valid_code_is_no_follow_up() -> None:
    assert quoted("Đèn đường hỏng ở số 12 Trần Phú") is None
    assert quoted("PAKN-0000-0001") is None, "a mistyped code (its check symbol) is no code"
