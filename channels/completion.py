"""Adding what was missing to a submission that waits for it: one path for the HTTP channels.

The JSON API's ``.../completion`` and Open311's ``requests/{id}/updates`` both prove the sender first (the
receipt's completion token), then come here, so that who the submitter is changes the same way on both
(``channels.identity``): another name refuses the completion, another phone or email waits for the code
sent on the original channel.  The amendment is journaled with what that records, in one transaction, and
the normalizer looks at the *same* submission again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from starlette.concurrency import run_in_threadpool

from channels import identity, intake
from channels.runtime import Runtime
from pakn.records import RawSubmission, StoredSubmission, SubmissionFields


class NotCompleted(StrEnum):
    """Why nothing was stored."""

    IDENTITY_KEPT = "identity-kept"  # it would change the submitter's name
    NOT_WAITING = "not-waiting"  # the submission does not wait for information (any more)


@dataclass(frozen=True, slots=True)
class Completed:
    contact_change: tuple[str, ...]  # phone/email asked to change: pending until the code is confirmed


async def complete(
    runtime: Runtime, stored: StoredSubmission, raw: RawSubmission, fields: SubmissionFields
) -> Completed | NotCompleted:
    """Journal ``raw`` as an amendment of ``stored`` (only while it waits), then have it normalized again."""
    assessment = await run_in_threadpool(identity.assess, runtime, stored, fields)
    if assessment.name is not None:
        return NotCompleted.IDENTITY_KEPT
    recorder = identity.Recorder(runtime, stored.id, stored.tracking_code, raw.source_id, assessment)
    if not await run_in_threadpool(intake.complete, runtime, stored.id, raw, recorder):
        return NotCompleted.NOT_WAITING
    return Completed(tuple(change.field for change in assessment.contact))
