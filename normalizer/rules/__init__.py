"""The rules, in the order they run.  A new rule is one module here plus one line in RULES.

Every rule runs on every submission, so the citizen hears about every problem at once.
"""

from __future__ import annotations

from normalizer.pipeline import Rule
from normalizer.rules.classification import Classification
from normalizer.rules.contact import Contact
from normalizer.rules.decode import DecodeText
from normalizer.rules.extract import ExtractFromContent
from normalizer.rules.field_marks import FieldDiacritics
from normalizer.rules.identity import Identity
from normalizer.rules.incident_time import IncidentTime
from normalizer.rules.kind import KindOfSubmission
from normalizer.rules.language import Language
from normalizer.rules.place import Place
from normalizer.rules.repeats import Repeats
from normalizer.rules.required import RequiredFields
from normalizer.rules.routing import Routing
from normalizer.rules.subject import Subject
from normalizer.rules.typed import TypedWithoutKeyboard

RULES: tuple[Rule, ...] = (
    DecodeText(),
    TypedWithoutKeyboard(),
    ExtractFromContent(),
    Language(),
    IncidentTime(),
    Place(),
    Contact(),
    Identity(),
    FieldDiacritics(),
    RequiredFields(),
    Classification(),
    KindOfSubmission(),
    Subject(),
    Routing(),
    Repeats(),
)
