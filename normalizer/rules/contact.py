"""Rule: phone numbers to E.164 and email addresses checked; invalid ones are flagged, never dropped."""

from __future__ import annotations

import re
from dataclasses import replace

import phonenumbers

from normalizer.pipeline import Context, Draft, Outcome
from pakn.records import Finding, Severity

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Contact:
    name = "contact"
    description = "Normalizes the phone number to E.164 (+84…) and checks the email address."

    def check(self, draft: Draft, context: Context) -> Outcome:
        findings: list[Finding] = []
        phone_text = draft.text("phone") or None
        phone: str | None = None
        if phone_text:
            try:
                parsed = phonenumbers.parse(phone_text, "VN")
                if phonenumbers.is_valid_number(parsed):
                    phone = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            except phonenumbers.NumberParseException:
                phone = None
            if phone is None:
                findings.append(
                    context.finding(self.name, "invalid-phone", Severity.INFO, "phone", phone=phone_text)
                )
        email = draft.text("email") or None
        if email and not _EMAIL.match(email):
            findings.append(context.finding(self.name, "invalid-email", Severity.INFO, "email", email=email))
            email = None
        case = replace(draft.case, phone=phone, phone_text=phone_text, email=email)
        return Outcome(replace(draft, case=case), tuple(findings))
