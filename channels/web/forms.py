"""Form bodies read strictly: text that is not valid UTF-8 is named, never silently decoded as Latin-1.

Starlette decodes a multipart text part that is not UTF-8 as Latin-1 (``ÿþý`` instead of a refusal),
and an urlencoded value's bad percent-escapes as U+FFFD, so what was stored was not what was sent.
The web form and Open311 read their bodies here and answer 400 naming the fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.datastructures import FormData, Headers
from starlette.formparsers import MultiPartParser
from starlette.requests import Request


class UnsupportedForm(ValueError):
    """The body is neither multipart/form-data nor application/x-www-form-urlencoded."""


class _StrictMultiPartParser(MultiPartParser):
    """Starlette's parser, noting each text part whose bytes are not valid UTF-8."""

    def __init__(self, headers: Headers, stream: object, **limits: int) -> None:
        super().__init__(headers, stream, **limits)  # type: ignore[arg-type]
        self.not_utf8: list[str] = []

    def on_part_end(self) -> None:
        part = self._current_part
        if part.file is None:
            try:
                bytes(part.data).decode("utf-8")
            except UnicodeDecodeError:
                self.not_utf8.append(part.field_name)
        super().on_part_end()


@dataclass(frozen=True, slots=True)
class StrictForm:
    form: FormData
    not_utf8: tuple[str, ...]  # names of fields whose text was not UTF-8 (empty: all good)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_form(request: Request, *, max_files: int, max_fields: int) -> StrictForm:
    """The form, and which of its fields were not UTF-8; ``UnsupportedForm`` for another body type;
    starlette's ``MultiPartException`` (or ``ValueError``) for a malformed body."""
    media = _media_type(request)
    if media == "multipart/form-data":
        parser = _StrictMultiPartParser(request.headers, request.stream(), max_files=max_files, max_fields=max_fields)
        form = await parser.parse()
        return StrictForm(form, tuple(dict.fromkeys(parser.not_utf8)))
    if media == "application/x-www-form-urlencoded":
        body = await request.body()
        # surrogateescape keeps undecodable bytes visible (as lone surrogates) so they can be named.
        pairs = parse_qsl(
            body.decode("utf-8", "surrogateescape"),
            keep_blank_values=True,
            max_num_fields=max_fields,
            encoding="utf-8",
            errors="surrogateescape",
        )
        bad = tuple(dict.fromkeys(_named(name) for name, value in pairs if not _is_text(name + value)))
        return StrictForm(FormData([(n, v) for n, v in pairs if _is_text(n + v)]), bad)
    raise UnsupportedForm(media or "no content type")


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _named(name: str) -> str:
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
