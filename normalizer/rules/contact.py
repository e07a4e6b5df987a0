"""Rule: phone numbers to E.164 and email addresses checked; invalid ones are flagged, never dropped."""

from __future__ import annotations

from normalizer.fields.contacts import normalize_email
from normalizer.fields.phones import normalize_phone
from normalizer.pipeline import Context, Draft, RuleResult
from pakn.records import Finding, Severity, evolve


class Contact:
    name = "contact"
    description = "Normalizes the phone number to E.164 (+84…, old 11-digit mobiles converted) and the email."

    def check(self, draft: Draft, context: Context) -> RuleResult:
        findings: list[Finding] = []
        phone_text = draft.text("phone") or None
        phone: str | None = None
        if phone_text:
            result = normalize_phone(phone_text)
            phone = result.e164 if result.valid else None
            if not result.valid:
                findings.append(context.finding(self.name, "invalid-phone", Severity.INFO, "phone", phone=phone_text))
        email_text = draft.text("email") or None
        email = normalize_email(email_text) if email_text else None
        if email_text and email is None:
            findings.append(context.finding(self.name, "invalid-email", Severity.INFO, "email", email=email_text))
        case = evolve(draft.case, phone=phone, phone_text=phone_text, email=email)
        return RuleResult(draft.with_case(case), tuple(findings))
