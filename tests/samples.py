"""Realistic, complete submissions for end-to-end tests and benchmarks (each one distinct, so that
the repeat rule never merges two of them)."""

from __future__ import annotations

from typing import Any

_ISSUES = [
    "Đèn đường trước nhà số {n} không sáng đã ba đêm, người dân đi lại rất nguy hiểm.",
    "Nước thải từ quán ăn số {n} chảy tràn ra vỉa hè, bốc mùi hôi thối, đề nghị kiểm tra xử lý.",
    "Ổ gà lớn trên mặt đường trước số {n} gây nguy hiểm cho xe máy, đã có người bị ngã.",
    "Rác thải tập kết trước hẻm số {n} không được thu gom gần một tuần, ruồi muỗi nhiều.",
    "Quán karaoke ở số {n} hát to sau 23 giờ, ảnh hưởng giấc ngủ của cả khu phố.",
    "Cây xanh trước nhà số {n} bị nghiêng, có nguy cơ đổ khi mưa bão, đề nghị cắt tỉa.",
    "Nắp cống trước số {n} bị vỡ, trẻ em đi học ngang qua rất dễ bị sụp chân.",
    "Công trình xây dựng ở số {n} để vật liệu lấn chiếm lòng đường, gây ùn tắc giờ cao điểm.",
]
_STREETS = ["Trần Phú", "Thống Nhất", "Lê Thánh Tôn", "Yersin", "Nguyễn Thị Minh Khai", "Hùng Vương"]
_WARDS = ["phường Nha Trang", "phường Bắc Nha Trang", "phường Nam Nha Trang", "phường Tây Nha Trang"]
_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng"]
_GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thị Hoa", "Đức Long", "Ngọc Mai", "Hữu Phước"]


def submission(index: int, **overrides: Any) -> dict[str, Any]:
    """The index-th sample: complete, Vietnamese with diacritics, in Khánh Hòa, distinct phone."""
    n = index + 1
    body: dict[str, Any] = {
        "content": _ISSUES[index % len(_ISSUES)].format(n=n),
        "incident_time": f"{8 + index % 12}h{(index * 7) % 60:02d} ngày {1 + index % 28}/9/2024",
        "location": f"số {n} đường {_STREETS[index % len(_STREETS)]}, {_WARDS[index % len(_WARDS)]}, tỉnh Khánh Hòa",
        "name": f"{_FAMILY[index % len(_FAMILY)]} {_GIVEN[(index // len(_FAMILY)) % len(_GIVEN)]}",
        "phone": f"090{(5_000_000 + index) % 10_000_000:07d}",
        "email": f"nguoidan{n}@example.vn",
        "confidential": index % 10 == 0,
    }
    body.update(overrides)
    return body
