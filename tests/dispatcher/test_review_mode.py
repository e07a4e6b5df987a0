"""REVIEW_MODE's signals (dispatcher.review): what the normalizer recorded makes a case uncertain."""

from __future__ import annotations

from config.settings import Settings
from dispatcher.review import CLOSE_SHARE, case_from_json, held_for, uncertainties
from normalizer import context_from_settings
from normalizer.fields.classify import classify
from pakn.records import NormalizedCase, PlaceMatch, Routing, evolve

FALLBACK = "linh-vuc-khac"
WARD = PlaceMatch("số 5 Trần Phú", "Tỉnh Khánh Hòa", "56", "Phường Nha Trang", "22333")


def test_each_signal_and_the_modes() -> None:
    sure = NormalizedCase(content="x", category="xay-dung", location=WARD)
    assert uncertainties(sure, FALLBACK) == ()
    assert held_for("off", sure, FALLBACK) == () and held_for("uncertain", sure, FALLBACK) == ()
    assert held_for("all", sure, FALLBACK) == ("review-all",)
    street_only = NormalizedCase(content="x", category="xay-dung", location=PlaceMatch("đường Trần Phú"))
    province_only = NormalizedCase(
        content="x", category="xay-dung", location=PlaceMatch("Khánh Hòa", "Tỉnh Khánh Hòa", "56")
    )
    assert uncertainties(street_only, FALLBACK) == uncertainties(province_only, FALLBACK) == ("no-commune",)
    assert uncertainties(NormalizedCase(content="x", category=FALLBACK), FALLBACK) == ("no-field",)
    repeat = NormalizedCase(content="x", category="y-te", related_to=("PAKN-1",), kind="to_cao")
    assert held_for("uncertain", repeat, FALLBACK) == ("possible-repeat", "denunciation")
    assert held_for("off", repeat, FALLBACK) == ()


def test_a_case_read_back_from_the_journal_is_the_same_case() -> None:
    case = NormalizedCase(content="x", category="y-te", location=WARD, related_to=("PAKN-1",), urgency="urgent")
    assert case_from_json(case.as_json()) == case
    # Its subject and suggested agency too: a case a person reopens goes out with them.
    routed = evolve(
        case, subject="hanh_vi", routing=Routing("UBND phường Nha Trang", "commune", "Vụ việc tại", "urgent")
    )
    assert case_from_json(routed.as_json()) == routed


def test_two_fields_close_hold_a_case_unless_an_operator_chose_its_field() -> None:
    categories = context_from_settings(Settings()).categories
    fallback = categories.fallback
    # Phrases of two fields, each as heavy: the classifier's choice is a close call.
    text = "Bệnh viện xả nước thải ra môi trường."
    found = classify(text, categories)
    assert found.runner_up is not None and found.runner_up_score >= CLOSE_SHARE * found.score, found
    close = NormalizedCase(content=text, category=found.category, location=WARD)
    assert held_for("uncertain", close, fallback, categories) == ("close-fields",)
    assert held_for("uncertain", close, fallback) == (), "without the phrases, no such signal"
    # The operator chose the runner-up: theirs, not a close call.
    chosen = evolve(close, category=found.runner_up)
    assert held_for("uncertain", chosen, fallback, categories) == ()
    # One field's phrases only: not close.
    clear = NormalizedCase(content="Đèn đường trước nhà số 5 không sáng.", location=WARD)
    clear = evolve(clear, category=classify(clear.content, categories).category)
    assert classify(clear.content, categories).runner_up is None
    assert held_for("uncertain", clear, fallback, categories) == ()
