"""Rules run in a declared order over an immutable draft; every rule runs, then one verdict.

Modelled on Mailman's rules and chains: a rule is a small named class with a ``check`` that returns
findings (and, for rules that normalize, a new draft).  Running every rule means the citizen hears
about every problem at once instead of one per round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from config.catalog import Catalog
from normalizer.fields.classify import CategoryTable, KindTable
from normalizer.fields.routing import RoutingTable
from normalizer.fields.subjects import SubjectTable
from normalizer.fields.workdays import WorkCalendar
from pakn.records import (
    EarlierCase,
    Finding,
    NormalizationResult,
    NormalizedCase,
    Severity,
    Submission,
    Verdict,
)


@dataclass(frozen=True, slots=True)
class Context:
    """Everything the rules may consult besides the submission itself (all loaded once per process)."""

    catalog: Catalog
    province_code: str
    timezone: ZoneInfo
    categories: CategoryTable
    kinds: KindTable
    calendar: WorkCalendar
    subjects: SubjectTable
    routes: RoutingTable
    province_name: str  # for agencies named after the province ("Công an tỉnh Khánh Hòa")
    # Recent cases by contact keys and content key (the worker asks the journal; no I/O in the rules).
    earlier_cases: Callable[[tuple[str, ...], str], Sequence[EarlierCase]] = lambda _contacts, _content: ()

    def finding(
        self,
        rule: str,
        code: str,
        severity: Severity,
        field: str | None = None,
        *,
        detail: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Finding:
        """A finding whose citizen-facing text comes from the message catalog."""
        messages = self.catalog.messages
        english = f"{code}-en"
        return Finding(
            code=code,
            severity=severity,
            message=messages.text("finding", code, **params) if messages.has("finding", code) else code,
            rule=rule,
            field=field,
            message_en=messages.text("finding", english, **params) if messages.has("finding", english) else None,
            detail=MappingProxyType(dict(detail or {})),
        )


@dataclass(frozen=True, slots=True)
class Draft:
    """The submission as the rules have made it so far: decoded texts, and the case being built."""

    submission: Submission
    texts: Mapping[str, str | None]
    case: NormalizedCase

    def text(self, name: str) -> str:
        return self.texts.get(name) or ""

    def with_case(self, case: NormalizedCase) -> Draft:
        """The same draft with a new case (cheaper than ``dataclasses.replace``, on the hot path)."""
        return Draft(self.submission, self.texts, case)


@dataclass(frozen=True, slots=True)
class RuleResult:
    """What one rule's check gives back: the draft (changed or not) and what it found."""

    draft: Draft
    findings: tuple[Finding, ...] = ()


class Rule(Protocol):
    """A named check: ``name`` is its stable identifier, ``description`` says what it looks for."""

    name: str
    description: str

    def check(self, draft: Draft, context: Context) -> RuleResult: ...


def verdict_of(findings: Sequence[Finding]) -> Verdict:
    severities = {f.severity for f in findings}
    if Severity.REJECT in severities:
        return Verdict.REJECTED
    if Severity.NEEDS_INFORMATION in severities:
        return Verdict.NEEDS_INFORMATION
    return Verdict.ACCEPTED


def run(rules: Sequence[Rule], submission: Submission, context: Context) -> NormalizationResult:
    draft = Draft(
        submission=submission,
        texts=MappingProxyType({}),
        case=NormalizedCase(confidential=submission.fields.confidential),
    )
    findings: list[Finding] = []
    for rule in rules:
        outcome = rule.check(draft, context)
        draft = outcome.draft
        findings.extend(outcome.findings)
    return NormalizationResult(verdict=verdict_of(findings), findings=tuple(findings), case=draft.case)
