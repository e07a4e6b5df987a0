"""The editable data under ``config/data`` (or CONFIG_DATA_DIR): messages, required fields, ...

Loaded once per process into immutable objects; user-facing Vietnamese text lives only in these files.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class Messages:
    sections: Mapping[str, Mapping[str, str]]

    def text(self, section: str, key: str, **params: Any) -> str:
        """The message for ``key``, with its placeholders filled; a missing key is a configuration bug."""
        template = self.sections[section][key]
        return template.format(**params) if params else template

    def has(self, section: str, key: str) -> bool:
        return key in self.sections.get(section, {})


@dataclass(frozen=True, slots=True)
class RequiredFields:
    by_channel: Mapping[str, tuple[str, ...]]
    min_content_letters: int = 12
    greetings: tuple[str, ...] = ()

    def for_channel(self, channel: str) -> tuple[str, ...]:
        return self.by_channel.get(channel, self.by_channel["default"])


@dataclass(frozen=True, slots=True)
class Catalog:
    data_dir: Path
    messages: Messages
    required_fields: RequiredFields


def _read(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


@lru_cache(maxsize=8)
def load_catalog(data_dir: Path) -> Catalog:
    messages = _read(data_dir / "messages.vi.toml")
    required = _read(data_dir / "required_fields.toml")
    return Catalog(
        data_dir=data_dir,
        messages=Messages(MappingProxyType({k: MappingProxyType(v) for k, v in messages.items()})),
        required_fields=RequiredFields(
            MappingProxyType(
                {channel: tuple(spec["required"]) for channel, spec in required.items() if "required" in spec}
            ),
            min_content_letters=int(required.get("content", {}).get("min_letters", 12)),
            greetings=tuple(required.get("content", {}).get("greetings", ())),
        ),
    )


SETTINGS_HELP_FILE = "settings.vi.toml"
_SHIPPED = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class SettingsHelp:
    """The Vietnamese documentation `pakn settings` prints (``settings.vi.toml``): per group its heading and
    description, per setting (by its environment variable) its description."""

    groups: Mapping[str, Mapping[str, str]]
    settings: Mapping[str, str]

    def heading(self, group: str) -> str | None:
        return self.groups.get(group, {}).get("heading")

    def group_description(self, group: str) -> str | None:
        return self.groups.get(group, {}).get("description")

    def describe(self, variable: str) -> str | None:
        return self.settings.get(variable)


@lru_cache(maxsize=8)
def load_settings_help(data_dir: Path) -> SettingsHelp:
    """From ``data_dir``, or the shipped file when a CONFIG_DATA_DIR made before it has none."""
    path = data_dir / SETTINGS_HELP_FILE
    data = _read(path if path.exists() else _SHIPPED / SETTINGS_HELP_FILE)
    return SettingsHelp(
        groups=MappingProxyType({k: MappingProxyType(dict(v)) for k, v in data.get("groups", {}).items()}),
        settings=MappingProxyType(dict(data.get("settings", {}))),
    )
