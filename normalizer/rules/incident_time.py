"""Rule: the time of the incident as an ISO datetime in the province's time zone."""

from __future__ import annotations

from normalizer.fields.times import parse_incident_time
from normalizer.pipeline import Context, Draft, RuleResult
from pakn.records import Finding, Severity, evolve


class IncidentTime:
    name = "incident-time"
    description = "Reads Vietnamese time expressions relative to the time received; a future time is asked again."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        text = draft.text("incident_time")
        if not text:
            return RuleResult(draft)
        parsed = parse_incident_time(text, draft.submission.received_at)
        if parsed is None:  # kept as written: the citizen did state a time
            return RuleResult(draft)
        case = evolve(draft.case, incident_time=parsed.value, incident_time_text=text)
        findings: tuple[Finding, ...] = ()
        if parsed.in_future:
            findings = (
                context.finding(
                    self.name, "incident-time-in-future", Severity.NEEDS_INFORMATION, "incident_time", time=text
                ),
            )
        return RuleResult(draft.with_case(case), findings)
