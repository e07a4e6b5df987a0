"""Which agency, at which level (province or commune), from config/data/routing.toml.

Since July 2025 there are two levels of local government.  Most cases are local incidents, handled by the
commune where they happen; rules, denunciations and cases with no known commune go to the province's
department for the field.  The decision is a short chain of steps read from the table, each with its
reason, so that staff see why and operators can change it without code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from pakn.records import PlaceMatch, Routing

__all__ = ["LEVELS", "RoutingTable", "coverage", "load_routing", "route"]

LEVELS = ("province", "commune")
STEPS = ("regulation", "kind", "no-commune", "urgent", "default-commune", "default-province")


@dataclass(frozen=True, slots=True)
class RoutingTable:
    """Agencies by (field, level), each field's default level, and the steps' reasons; built once."""

    agencies: Mapping[tuple[str, str], str]
    default_level: Mapping[str, str]
    field_names: Mapping[str, str]
    province_kinds: frozenset[str]
    regulation_subjects: frozenset[str]
    reasons: Mapping[str, str]
    fallback_field: str
    # Suggestions made so far, by (field, step, commune, province): a few thousand at most in a province, and
    # the same commune's cases share one frozen answer instead of formatting two strings per case.
    _made: dict[tuple[str, str, str | None, str], Routing] = field(default_factory=dict, compare=False)


def load_routing(path: Path | str, fields: Mapping[str, str], fallback_field: str) -> RoutingTable:
    """Read ``routing.toml``; ``fields`` are the known fields (code -> name), each needing both levels.

    A missing row, a second default or an unknown level fails here, at start-up, not on a citizen's case.
    """
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    agencies: dict[tuple[str, str], str] = {}
    default_level: dict[str, str] = {}
    for row in raw.get("route", ()):
        code, level, agency = row["field"], row["level"], str(row["agency"]).strip()
        if level not in LEVELS:
            raise ValueError(f"{path}: level {level!r} of {code} is not one of {LEVELS}")
        if code not in fields:
            raise ValueError(f"{path}: {code!r} is not a field of categories.toml")
        if (code, level) in agencies:
            raise ValueError(f"{path}: two rows for {code} at level {level}")
        if not agency:
            raise ValueError(f"{path}: no agency for {code} at level {level}")
        agencies[(code, level)] = agency
        if row.get("default", False):
            if code in default_level:
                raise ValueError(f"{path}: two default levels for {code}")
            default_level[code] = level
    missing = [f"{f}/{lv}" for f in fields for lv in LEVELS if (f, lv) not in agencies]
    if missing:
        raise ValueError(f"{path}: no route for {', '.join(missing)}")
    no_default = [f for f in fields if f not in default_level]
    if no_default:
        raise ValueError(f"{path}: no default level for {', '.join(no_default)}")
    reasons = dict(raw.get("reasons", {}))
    if unknown := set(STEPS) - reasons.keys():
        raise ValueError(f"{path}: no reason for the steps {sorted(unknown)}")
    return RoutingTable(
        agencies=MappingProxyType(agencies),
        default_level=MappingProxyType(default_level),
        field_names=MappingProxyType(dict(fields)),
        province_kinds=frozenset(raw.get("province_kinds", ())),
        regulation_subjects=frozenset(raw.get("regulation_subjects", ())),
        reasons=MappingProxyType(reasons),
        fallback_field=fallback_field,
    )


def _in_sentence(name: str) -> str:
    """ "Phường Nha Trang" -> "phường Nha Trang": the unit's kind is lower case inside a name or sentence."""
    return name[:1].lower() + name[1:] if name else name


def route(
    table: RoutingTable,
    field_code: str | None,
    place: PlaceMatch | None,
    *,
    kind: str,
    urgent: bool,
    subject: str | None,
    province: str,
) -> Routing:
    """The suggested agency and level for a case, and the step (and reason) that decided the level.

    ``province``: the served province's name, for a place that was not matched to one.
    """
    code = field_code if field_code is not None and field_code in table.field_names else table.fallback_field
    commune = place.commune if place is not None and place.commune else None
    default = table.default_level[code]
    if subject in table.regulation_subjects:
        step = "regulation"
    elif kind in table.province_kinds:
        step = "kind"
    elif commune is None:  # no commune to send it to: the department, whichever reason applies
        step = "no-commune" if urgent or default == "commune" else "default-province"
    elif urgent:
        step = "urgent"
    else:
        step = f"default-{default}"
    province = (place.province if place is not None else None) or province
    key = (code, step, commune, province)
    made = table._made.get(key)
    if made is None:
        level = "commune" if step in ("urgent", "default-commune") else "province"
        names = {
            "commune": _in_sentence(commune or ""),
            "province": _in_sentence(province),
            "field": table.field_names[code],
        }
        agency = table.agencies[(code, level)].format_map(names)
        made = table._made[key] = Routing(agency, level, table.reasons[step].format_map(names), step)
    return made


def agency_at(table: RoutingTable, field_code: str | None, place: PlaceMatch | None, level: str, province: str) -> str:
    """The agency of ``level`` for a field and place, as ``route`` names it: what a person chooses in the
    triage inbox instead of the suggested level.  A commune level without a commune names no one (``""``)."""
    code = field_code if field_code is not None and field_code in table.field_names else table.fallback_field
    commune = place.commune if place is not None and place.commune else None
    if level not in LEVELS or (level == "commune" and commune is None):
        return ""
    names = {
        "commune": _in_sentence(commune or ""),
        "province": _in_sentence((place.province if place is not None else None) or province),
        "field": table.field_names[code],
    }
    return table.agencies[(code, level)].format_map(names)


def coverage(table: RoutingTable, fields: Iterable[str]) -> float:
    """The share of (field, level) pairs with a route: 1.0 when every field has both levels."""
    pairs = [(f, lv) for f in fields for lv in LEVELS]
    return sum(p in table.agencies for p in pairs) / len(pairs) if pairs else 0.0
