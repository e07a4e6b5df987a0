"""`pakn settings` documents every setting in Vietnamese (config/data/settings.vi.toml), and says what is
wrong with them in Vietnamese ([settings-check] of messages.vi.toml); the English descriptions stay in
config/settings.py for developers."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path

from pydantic_settings import BaseSettings

from config.catalog import load_catalog, load_settings_help
from config.settings import GROUPS, CaseStoreSettings, Settings, env_name
from pakn.secret_keys import secrets_path, with_secrets
from tests.conftest import PAKN, REPO
from tests.test_no_english import english_words

DATA = REPO / "config" / "data"
VIETNAMESE_LETTERS = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]", re.I)


def concerns() -> list[tuple[str, type[BaseSettings]]]:
    """The groups as `pakn settings` prints them: the gateway's own (on Settings itself), then each model."""
    return [("gateway", Settings), *GROUPS.items()]


def fields() -> Iterator[tuple[str, str]]:
    """(environment variable, English description) of every setting, walked from the models."""
    for _group, model in concerns():
        for name, info in model.model_fields.items():
            if model is Settings and name in GROUPS:
                continue
            yield env_name(model, name), info.description or ""


def english_in(text: str) -> list[str]:
    """The project's English detector (tests/test_no_english.py), HTTP header names (X-Forwarded-For) being
    code, as setting names are."""
    return english_words(re.sub(r"\bX-[\w-]+", " ", text))


def first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0]


def not_english(text: str, english: str) -> list[str]:
    """What is wrong with ``text`` as the Vietnamese for ``english`` (nothing: it is fine)."""
    wrong = []
    if not text or not text.strip():
        wrong.append("empty")
    elif text.strip() == english.strip():
        wrong.append("the English text")
    elif not VIETNAMESE_LETTERS.search(text):
        wrong.append("no Vietnamese letters")
    wrong += [f"English word {word!r}" for word in english_in(text)]
    return wrong


def test_every_setting_and_group_has_its_vietnamese_description() -> None:
    """Walks the models: a setting or a group added without its line in settings.vi.toml fails here."""
    shipped = tomllib.loads((DATA / "settings.vi.toml").read_text(encoding="utf-8"))
    described = load_settings_help(DATA)
    variables = {variable for variable, _ in fields()}
    wrong: dict[str, list[str]] = {}
    for group, model in concerns():
        english = first_line(model.__doc__)
        if problems := not_english(described.group_description(group) or "", english):
            wrong[f"[groups.{group}] description"] = problems
        if problems := not_english(described.heading(group) or "", group):
            wrong[f"[groups.{group}] heading"] = problems
    for variable, english in fields():
        text = described.describe(variable) or ""
        if problems := not_english(text, english):
            wrong[variable] = problems
            continue
        # What must stay exact: the variables, figures, units and legal sources the English names.
        named = {word.rstrip("*") for word in re.findall(r"\b[A-Z][A-Z0-9_]+\*?", english)} & variables
        figures = set(re.findall(r"\d+(?:[./:-]\d+)*", english))
        if lost := sorted(word for word in named | figures if word not in text):
            wrong[variable] = [f"lost {lost}"]
    assert wrong == {}
    # Nothing described that is no setting (a renamed or removed one), nor a group that is none.
    assert set(shipped["settings"]) - variables == set()
    assert set(shipped["groups"]) - {group for group, _ in concerns()} == set()
    # The legal sources, word for word.
    due, urgent = described.describe("DUE_WORKING_DAYS") or "", described.describe("URGENT_DUE_WORKING_DAYS") or ""
    assert "QĐ 18/2022/QĐ-UBND" in due and "QĐ 574/QĐ-TTg" in due
    assert "QĐ 18/2022/QĐ-UBND ngày 21/9/2022 (hiệu lực 05/10/2022)" in urgent
    assert '"trong vòng 1 ngày làm việc"' in urgent
    for variable in ("REMINDER_AFTER_WORKING_DAYS", "CLOSE_AFTER_WORKING_DAYS"):
        assert "Không có căn cứ pháp lý" in (described.describe(variable) or ""), variable


def test_the_settings_texts_load_from_a_data_folder_that_has_none(tmp_path: Path) -> None:
    """A CONFIG_DATA_DIR copied before settings.vi.toml existed still gets the shipped texts."""
    assert load_settings_help(tmp_path).describe("PORT") == load_settings_help(DATA).describe("PORT")


def pakn_settings(folder: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """`pakn settings` through its real entry point, in a folder of its own, with only these settings."""
    env = {k: v for k, v in os.environ.items() if not any(k.startswith(env_name(m, f)) for m, f in every_field())}
    env |= {"PYTHONPATH": str(REPO), **variables}
    return subprocess.run([*PAKN, "settings"], cwd=folder, env=env, capture_output=True, text=True, timeout=120)


def every_field() -> Iterator[tuple[type[BaseSettings], str]]:
    for _group, model in concerns():
        for name in model.model_fields:
            if not (model is Settings and name in GROUPS):
                yield model, name


def test_pakn_settings_prints_vietnamese_headings_and_documentation(tmp_path: Path) -> None:
    shown = pakn_settings(tmp_path)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
    described = load_settings_help(DATA)
    lines = shown.stdout.splitlines()
    headings = [line.removeprefix("# === ").removesuffix(" ===") for line in lines if line.startswith("# === ")]
    assert headings == [described.heading(group) for group, _ in concerns()]
    for group, _model in concerns():
        at = lines.index(f"# === {described.heading(group)} ===")
        about = " ".join(line.removeprefix("# ") for line in lines[at + 1 : lines.index("", at)])
        assert about == " ".join((described.group_description(group) or "").split()), group
    for variable, _english in fields():
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{variable}="))
        comment: list[str] = []
        while lines[at - 1 - len(comment)].startswith("# ") and not lines[at - 1 - len(comment)].startswith("# ==="):
            comment.insert(0, lines[at - 1 - len(comment)].removeprefix("# "))
        assert " ".join(comment) == " ".join((described.describe(variable) or "").split()), variable
    assert english_in(shown.stdout + shown.stderr) == []
    assert "None" not in shown.stdout  # an unset value is written as the environment writes it: empty


def test_pakn_settings_warns_in_vietnamese(tmp_path: Path) -> None:
    """A weak CASE_STORE_SECRET, and every other warning and error it can give, in the words of the catalog."""
    said = load_catalog(DATA).messages.sections["settings-check"]
    made = with_secrets(Settings(pakn_data_dir=tmp_path / "var", case_store=CaseStoreSettings(sink="sql")))
    weak = pakn_settings(tmp_path, CASE_STORE_SECRET="change-me")
    assert weak.returncode == 0, weak.stderr
    # The weak key is ignored: the one generated into the data folder is used, and said to be.
    assert made.case_store.secret.get_secret_value() not in weak.stdout
    generated = said["generated"].format(path=secrets_path(made))
    assert {f"CASE_STORE_SECRET={generated}", f"WEB_SECRET={generated}"} <= set(weak.stdout.splitlines())
    warning = said["warning"].format(text=said["weak-secret"].format(name="CASE_STORE_SECRET"))
    assert warning in weak.stderr.splitlines(), weak.stderr
    assert "change-me" not in weak.stdout and "WARNING" not in weak.stderr
    everything = pakn_settings(
        tmp_path,
        CASE_STORE_SINK="http", CASE_STORE_URL="http://127.0.0.1:9/cases", CASE_STORE_SECRET="secret",
        TELEGRAM_WEBHOOK_URL="https://pakn.example.gov.vn/telegram/webhook", ZALO_APP_ID="360846524940903967",
        HOTLINE_TWILIO_ACCOUNT_SID="AC0123456789abcdef",
    )  # fmt: skip
    assert everything.returncode == 0 and "Traceback" not in everything.stderr, everything.stderr
    printed = everything.stderr.splitlines()
    expected = [
        said["error"].format(text=said["sink-needs-secret"].format(sink="http")),
        *(said["warning"].format(text=said[key]) for key in ("telegram-secret-token", "zalo-oa-secret-key")),
        said["warning"].format(text=said["twilio-auth-token"]),
        said["warning"].format(
            text=said["unsendable"].format(
                channels="zalo", reason=said["zalo-not-configured"].format(names="ZALO_APP_SECRET_KEY")
            )
        ),
        said["warning"].format(
            text=said["unsendable"].format(channels="hotline, sms", reason=said["sms-not-configured"])
        ),
    ]
    assert [line for line in expected if line not in printed] == [], everything.stderr
    assert english_in(everything.stdout + everything.stderr) == []
    assert "ERROR" not in everything.stderr and "WARNING" not in everything.stderr
