"""Administrative behaviour (hành vi) or administrative regulations (quy định), from config/data/subjects.toml.

The national portal counts its cases this way (81% behaviour, 19% regulations in 2017): one asks an agency
to act on how an official handled something, the other to change a rule.  Matching is the fields'
phrase index (``normalizer.fields.classify``): with diacritics when the text has them, folded otherwise,
longest phrase first, so a neutral phrase ("không đúng quy định") keeps its words from counting.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from normalizer.fields.classify import _PhraseIndex, canon

__all__ = ["Subject", "SubjectDecision", "SubjectTable", "load_subjects", "subject_of"]


@dataclass(frozen=True, slots=True)
class Subject:
    code: str
    name: str
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SubjectTable:
    """The subjects in their order (the first wins a tie), the phrase index built once at load time."""

    subjects: tuple[Subject, ...]
    none: str
    min_score: int
    _index: _PhraseIndex
    _owner: Mapping[str, tuple[int, int]]  # phrase as configured -> (subject's position or -1 if neutral, weight)


@dataclass(frozen=True, slots=True)
class SubjectDecision:
    subject: str
    scores: tuple[int, ...]  # per subject, in the table's order
    matched: tuple[str, ...]


def load_subjects(path: Path | str) -> SubjectTable:
    """Read ``subjects.toml``; a phrase under two subjects (or also neutral) is a configuration error."""
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    defaults = raw.get("defaults", {})
    for s in raw["subject"]:
        if unknown := set(s) - {"code", "name", "words"}:  # a key meant for a table below, in TOML
            raise ValueError(f"{path}: unknown keys {sorted(unknown)} in subject {s.get('code')!r}")
    subjects = tuple(Subject(s["code"], s["name"], tuple(s.get("words", ()))) for s in raw["subject"])
    owner: dict[str, tuple[int, int]] = {}
    spelled: dict[str, str] = {}
    neutral = raw.get("neutral", {}).get("words", ())
    entries = [(i, w) for i, s in enumerate(subjects) for w in s.words] + [(-1, w) for w in neutral]
    for position, phrase in entries:
        key = canon(phrase)
        if key in owner and owner[key][0] != position:
            raise ValueError(f"phrase {phrase!r} listed twice in {path}")
        owner[key] = (position, 0 if position < 0 else len(key.split()))
        spelled.setdefault(key, phrase)
    none = str(defaults.get("none", "khong_xac_dinh"))
    if none in {s.code for s in subjects}:
        raise ValueError(f"{none!r} is the code of no subject; it cannot be a subject too")
    return SubjectTable(
        subjects=subjects,
        none=none,
        min_score=int(defaults.get("min_score", 1)),
        _index=_PhraseIndex.build(spelled.values()),
        _owner=MappingProxyType({spelled[k]: v for k, v in owner.items()}),
    )


def subject_of(text: str, table: SubjectTable) -> SubjectDecision:
    """The subject whose phrases weigh most (each phrase counted once), if it weighs at least ``min_score``."""
    scores = [0] * len(table.subjects)
    matched: dict[str, None] = {}  # in order of appearance, each once
    for _pos, phrase in table._index.find(text):
        position, weight = table._owner[phrase]
        if position >= 0 and phrase not in matched:
            matched[phrase] = None
            scores[position] += weight
    best = max(range(len(scores)), key=lambda i: (scores[i], -i)) if scores else -1
    if best < 0 or scores[best] < table.min_score:
        return SubjectDecision(table.none, tuple(scores), tuple(matched))
    return SubjectDecision(table.subjects[best].code, tuple(scores), tuple(matched))
