"""No English sentence reaches a citizen or an operator: the catalog, the pages' templates, what a running
gateway answers to common mistakes (API and pages), and what `pakn` prints for a user's mistake.

The check is a simple heuristic: common English words ("the", "is", "not", "invalid", "error", ...) as
whole words in the text people read, after leaving out what is code (placeholders, JSON keys and codes,
HTML tags and attributes, Jinja).  Vietnamese has none of these words.  Deliberate English is exempt:
the ``*-en`` messages, which repeat a finding in English for someone who wrote in another language.
"""

from __future__ import annotations

import html
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner

from pakn.app.cli import main
from tests.channels.web.conftest import client_for, web_gateway
from tests.conftest import REPO, Gateway
from tests.test_cli_errors import pakn

__all__ = ["web_gateway"]
ENGLISH = re.compile(
    r"\b(the|is|are|was|not|no|invalid|error|errors|please|must|should|cannot|can't|failed|required|missing|"
    r"allowed|found|unknown|value|field|too|large|method|request|denied|forbidden|internal|server|try|again|"
    r"later|your|you|this|with|for|and|of|to|does|exist|exists|expected|input|valid|string|needs|before|"
    r"ends|starts|starting|there|here|where|data|gateway|operator|unreadable|lines|must)\b",
    re.IGNORECASE,
)
# JSON keys whose values are codes for programs, not sentences for people.
CODE_KEYS = frozenset(
    {"error", "code", "field", "type", "rule", "severity", "status", "tracking_code", "loc", "kind", "verdict",
     "channel", "language", "category", "url", "status_url", "href", "message_en", "id", "detail_code"}
)  # fmt: skip
TEMPLATES = sorted(p for p in (REPO / "channels").rglob("templates/*.html"))


def english_words(text: str) -> list[str]:
    text = re.sub(r"\{[a-z_]+(?:![rsa])?\}", " ", text)  # placeholders of the catalog (and click's {name!r})
    text = re.sub(r"[A-Z_]{3,}", " ", text)  # setting names (WEB_SECRET), codes (PAKN-...)
    text = re.sub(r"https?://\S+|/[\w/.{}-]+", " ", text)  # addresses and paths
    text = re.sub(r"--[a-z][\w-]*", " ", text)  # command-line options
    return ENGLISH.findall(text)


def sentences(value: Any, key: str = "") -> Iterator[str]:
    """The strings of a JSON answer that people read: every value but those of code keys."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in CODE_KEYS:
                yield from sentences(v, k)
    elif isinstance(value, list):
        for item in value:
            yield from sentences(item, key)
    elif isinstance(value, str):
        yield value


def visible_text(page: str) -> str:
    """What a browser shows of a page: no tags, scripts or styles; attributes people read are kept."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    shown = re.findall(r'\b(?:title|alt|placeholder|aria-label)="([^"]*)"', page)
    return html.unescape(" ".join([re.sub(r"<[^>]*>", " ", page), *shown]))


def test_the_catalog_is_vietnamese() -> None:
    catalog = tomllib.loads((REPO / "config" / "data" / "messages.vi.toml").read_text(encoding="utf-8"))
    found = {
        f"{section}.{key}": words
        for section, texts in catalog.items()
        for key, text in texts.items()
        if isinstance(text, str) and not key.endswith("-en") and (words := english_words(text))
    }
    assert found == {}
    # The heuristic does catch English: the deliberate English messages are found.
    assert english_words(catalog["finding"]["not-vietnamese-en"])


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(REPO)))
def test_the_templates_have_no_english_of_their_own(template: Path) -> None:
    source = template.read_text(encoding="utf-8")
    source = re.sub(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", " ", source, flags=re.S)
    source = re.sub(r'\b(?:aria-[\w-]+|class|id|name|type)="[^"]*"', " ", source)  # attributes a macro writes
    assert english_words(visible_text(source)) == []


def api_mistakes(base: str) -> Iterator[tuple[str, httpx.Response]]:
    with client_for_url(base) as client:
        submissions = "/api/v1/submissions"
        yield "unknown address", client.get("/api/v1/khong-co")
        yield "wrong method", client.delete(f"{submissions}/PAKN-0000-0000")
        yield "not JSON", client.post(submissions, content=b"{content: ", headers={"content-type": "application/json"})
        yield "an array", client.post(submissions, json=[{"content": "x"}])
        yield "a number for content", client.post(submissions, json={"content": 123})
        yield "plain text", client.post(submissions, content=b"xin chao", headers={"content-type": "text/plain"})
        json_type = {"content-type": "application/json"}
        yield "too large", client.post(submissions, content=b"x" * 1_100_000, headers=json_type)
        yield "not a code", client.get(f"{submissions}/khong-phai-ma")
        yield "unknown code", client.get(f"{submissions}/PAKN-0000-0000")
        yield "completion without token", client.post(f"{submissions}/PAKN-0000-0000/completion", json={})
        yield "open311 without key", client.post("/open311/v2/requests.json", data={"description": "x"})
        yield "open311 unknown request", client.get("/open311/v2/requests/khong-co.json")


def client_for_url(base: str) -> httpx.Client:
    return httpx.Client(base_url=base, headers={"X-Forwarded-For": "192.0.2.201"}, timeout=20)


def test_the_gateway_answers_common_mistakes_in_vietnamese(web_gateway: Gateway) -> None:
    found: dict[str, list[str]] = {}
    for mistake, answer in api_mistakes(web_gateway.url):
        assert answer.status_code >= 400, (mistake, answer.status_code)
        assert answer.headers["content-type"].startswith("application/json"), (mistake, answer.text[:200])
        body = answer.json()
        # One shape: {error, message}; Open311 keeps GeoReport v2's [{code, description}].
        assert body.get("message") if isinstance(body, dict) else body[0]["description"], (mistake, body)
        if words := [w for text in sentences(body) for w in english_words(text)]:
            found[f"{mistake} ({answer.status_code}): {json.dumps(body, ensure_ascii=False)[:300]}"] = words
    with client_for(web_gateway) as client:
        client.follow_redirects = True  # what the browser ends up showing
        pages = {
            "unknown page": client.get("/khong-co"),
            "form without its key": client.post("/submit", data={"content": "x"}),
            "lookup of an unknown code": client.get("/lookup", params={"code": "PAKN-0000-0000"}),
            "lookup of no code": client.get("/lookup", params={"code": "???"}),
            "statistics sign-in, wrong password": client.post("/admin/login", data={"username": "a", "password": "b"}),
            "console sign-in, wrong password": client.post("/hotline/login", data={"username": "a", "password": "b"}),
            "statistics, wrong date": client.get("/admin/stats", params={"from": "2026-13-01"}),
            "rating page without its token": client.get("/rate/PAKN-0000-0000", params={"token": "x"}),
            "answer form without its token": client.post("/answer/PAKN-0000-0000", data={"answer": "x"}),
        }
        for mistake, answer in pages.items():
            if answer.headers.get("content-type", "").startswith("application/json"):  # a refused form post
                shown = " ".join(sentences(answer.json()))
            else:
                shown = " ".join(visible_text(answer.text).split())
            if words := english_words(shown):
                found[f"{mistake} ({answer.status_code}): {shown[:300]}"] = words
    assert found == {}


def test_pakn_answers_a_users_mistakes_in_vietnamese(tmp_path: Path) -> None:
    mistakes = {
        "stats without data": ("stats",),
        "dead list without data": ("dead", "list"),
    }
    outputs = {name: pakn(tmp_path, *args) for name, args in mistakes.items()}
    assert pakn(tmp_path, "db", "upgrade").returncode == 0
    mistakes_with_data = {
        "stats, month 13": ("stats", "--from", "2026-13-01"),
        "stats, words for a date": ("stats", "--to", "hôm qua"),
        "stats, ends before it starts": ("stats", "--from", "12/01/2026", "--to", "01/01/2026"),
        "replay of no tracking code": ("replay", "khong-phai-ma"),
        "disable an unknown operator": ("operators", "disable", "khong-co-ai"),
        "normalize without a time zone": ("normalize", "/dev/null", "--received-at", "2026-01-12T08:00"),
        "normalize, not a time": ("normalize", "/dev/null", "--received-at", "hôm qua"),
    }
    outputs |= {name: pakn(tmp_path, *args) for name, args in mistakes_with_data.items()}
    found = {}
    for name, result in outputs.items():
        assert result.returncode != 0 and "Traceback" not in result.stderr, (name, result.stderr)
        # The answer to the mistake: one "pakn: ..." line, not click's "Usage: ... Error: ..." frame.  (Log
        # lines such as the one-time note about generated secrets are the gateway's log, for the admin.)
        answer = [line for line in result.stderr.splitlines() if line.startswith(("pakn:", "Error:", "Usage:"))]
        assert answer and answer[0].startswith("pakn: "), (name, result.stderr)
        if words := english_words(" ".join(answer)):
            found[f"{name}: {' '.join(answer)[:300]}"] = words
    assert found == {}


def test_pakn_frame_and_help_are_vietnamese(tmp_path: Path) -> None:
    """Click's usage errors and every command's `--help`, through the real `pakn` entry point."""
    found = {}
    for args in [("stats", "--bogus"), ("khong-co-lenh",)]:
        result = pakn(tmp_path, *args)
        assert result.returncode == 2 and "Traceback" not in result.stderr, (args, result.stderr)
        assert "Lỗi:" in result.stderr and "Cách dùng: pakn" in result.stderr, result.stderr
        if words := english_words(result.stderr):
            found[f"{args}: {result.stderr[:300]}"] = words
    result = pakn(tmp_path, "--help")
    assert result.returncode == 0 and "Lệnh:" in result.stdout, result.stderr
    # The other commands' help and errors through the same `main`, in this process (a process each is slow).
    runner = CliRunner()
    shown = {path: runner.invoke(main, [*path.split()[1:], "--help"], prog_name="pakn") for path in command_paths()}
    shown |= {
        " ".join(args): runner.invoke(main, args, prog_name="pakn")
        for args in [["stats", "--from"], ["replay", "a", "b"]]
    }
    for path, invoked in shown.items():
        assert ("Traceback" not in invoked.output and invoked.exception is None) or invoked.exit_code == 2, path
        # Choices, command names and default values are what is typed, not sentences.
        text = re.sub(r"\[(?:[a-z]+\|)+[a-z]+\]|\b[a-z]+(?:-[a-z]+)+\b|: [a-z/]+\]", " ", invoked.output)
        if words := english_words(text):
            found[f"{path}: {invoked.output[:300]}"] = words
    assert found == {}


def command_paths() -> list[str]:
    """Every `pakn` command's path ("pakn", "pakn stats", "pakn dead list", ...)."""
    paths: list[str] = []

    def walk(command: Any, path: str) -> None:
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(main, "pakn")
    return paths


def test_every_command_and_option_has_its_vietnamese_help() -> None:
    """A command added without its line in ``[cli-help]`` would show its English docstring."""
    helps = tomllib.loads((REPO / "config" / "data" / "messages.vi.toml").read_text())["cli-help"]
    missing = []

    def walk(command: click.Command, path: str) -> None:
        if path not in helps:
            missing.append(path)
        for param in command.params:
            if isinstance(param, click.Option) and f"{path} {max(param.opts, key=len)}" not in helps:
                missing.append(f"{path} {max(param.opts, key=len)}")
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(main, "pakn")
    assert missing == []
