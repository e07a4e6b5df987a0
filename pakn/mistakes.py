"""A user's mistake at the `pakn` command line, said in Vietnamese and without click's English frame.

Click prints its own errors as ``Usage: ... Try '--help' ... Error: Invalid value for ...``; a mistake
raised as :class:`Mistake` prints one line, ``pakn: <message>``, the message from the ``[cli]`` section
of ``messages.vi.toml`` (editable like every text people read), and exits with its code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

import click
import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.termui
import click.types

from config.catalog import load_catalog
from config.settings import get_settings

# Click's modules that look words up through gettext: ``speak_vietnamese`` answers them instead.
_CLICK_MODULES = (
    click.core,
    click.decorators,
    click.exceptions,
    click.formatting,
    click.parser,
    click.termui,
    click.types,
)


def cli_text(key: str, **values: object) -> str:
    return load_catalog(get_settings().data_dir).messages.text("cli", key, **values)


class Mistake(click.ClickException):
    """Exit code 1; :class:`WrongValue` (a value given on the command line) exits with 2, as click's own."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(cli_text(key, **values))

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"pakn: {self.format_message()}", err=True, file=file)


class WrongValue(Mistake):
    exit_code = 2


def _catalog_section(section: str) -> Mapping[str, str]:
    return load_catalog(get_settings().data_dir).messages.sections.get(section, {})


class _ClickInVietnamese:
    """Click's gettext, answered from the ``[click]`` section of messages.vi.toml (read on first use).

    Click looks its words up through ``gettext`` in each of its modules; the gateway ships no ``.mo``
    files and sets no locale, so the catalog, editable like every other text, stands in for them."""

    def __init__(self) -> None:
        self._words: Mapping[str, str] | None = None

    def gettext(self, message: str) -> str:
        if self._words is None:
            self._words = _catalog_section("click")
        return self._words.get(message, message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.gettext(singular if count == 1 else plural)


def speak_vietnamese(command: click.Command, args: Sequence[str]) -> None:
    """Click's own words (usage, errors, help headings) in Vietnamese; and, when help will be shown, each
    command's and option's help from ``[cli-help]``."""
    words = _ClickInVietnamese()
    for module in _CLICK_MODULES:
        module._ = words.gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = words.ngettext  # type: ignore[attr-defined]
    helps = _catalog_section("cli-help") if not args or "--help" in args else {}
    _help_in_vietnamese(command, helps, words.gettext, "pakn")


def _help_in_vietnamese(
    command: click.Command, helps: Mapping[str, str], word: Callable[[str], str], path: str
) -> None:
    command.options_metavar = f"[{word('OPTIONS')}]"
    if path in helps:
        command.help = command.short_help = helps[path]
    for param in command.params:
        if isinstance(param, click.Option):
            name = max(param.opts, key=len)
            param.help = helps.get(f"{path} {name}", param.help)
    if isinstance(command, click.Group):
        command.subcommand_metavar = f"{word('COMMAND')} [{word('ARGS')}]..."
        for name, sub in command.commands.items():
            _help_in_vietnamese(sub, helps, word, f"{path} {name}")


class VietnameseGroup(click.Group):
    """The `pakn` group: click's frame and the commands' help in Vietnamese (``speak_vietnamese``)."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **options: Any) -> Any:
        given = list(sys.argv[1:] if args is None else args)
        speak_vietnamese(self, given)
        options.setdefault("prog_name", "pakn")  # also as `python -m pakn.app.cli`, as the supervisor starts it
        return super().main(given, *rest, **options)
