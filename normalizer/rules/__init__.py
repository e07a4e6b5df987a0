"""The rules, in the order they run.  A new rule is one module here plus one line in RULES."""

from __future__ import annotations

from normalizer.pipeline import Rule
from normalizer.rules.contact import Contact
from normalizer.rules.decode import DecodeText
from normalizer.rules.required import RequiredFields

RULES: tuple[Rule, ...] = (
    DecodeText(),
    Contact(),
    RequiredFields(),
)
