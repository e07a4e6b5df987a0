"""Rule: the fields the provincial rules require, per channel (config/data/required_fields.toml)."""

from __future__ import annotations

from normalizer.pipeline import Context, Draft, Outcome
from pakn.records import Finding, Severity


class RequiredFields:
    name = "required-fields"
    description = "Content, time, place, name and a way to reach the submitter must be present."

    def check(self, draft: Draft, context: Context) -> Outcome:
        required = context.catalog.required_fields.for_channel(draft.submission.channel.value)
        present = {
            "content": bool(draft.case.content),
            "incident_time": bool(draft.case.incident_time or draft.case.incident_time_text),
            "location": draft.case.location is not None,
            "name": bool(draft.case.name),
            "contact": bool(draft.case.phone or draft.case.phone_text or draft.case.email),
        }
        findings: list[Finding] = []
        for field in required:
            if not present.get(field, True):
                findings.append(
                    context.finding(self.name, f"missing-{field}", Severity.NEEDS_INFORMATION, field)
                )
        return Outcome(draft, tuple(findings))
