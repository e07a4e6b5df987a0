"""The status of a submission by its tracking code, as a citizen is told it on chat, SMS and e-mail.

Apart from ``channels.followup`` (which reads later messages and completes submissions): the chat engine
answers ``tra cứu`` with it and needs none of the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from config.catalog import Messages
from pakn import tracking
from pakn.records import StoredSubmission


def status_text(
    get_by_code: Callable[[str], StoredSubmission | None], messages: Messages, sections: Sequence[str], code: str
) -> str:
    """The status and reasons of a submission by its code, never who sent it (chat, SMS and e-mail answers).

    ``sections``: where the texts come from, the first section that has a key wins.
    """

    def text(key: str, **params: str) -> str:
        section = next((s for s in sections if messages.has(s, key)), sections[-1])
        return messages.text(section, key, **params)

    canonical = tracking.parse(code)
    stored = get_by_code(canonical) if canonical else None
    if stored is None:
        return text("lookup-not-found", code=code.strip()[:40])
    status = stored.status.value
    status_name = messages.text("status", status) if messages.has("status", status) else status
    lines = [text("lookup-found", tracking_code=stored.tracking_code, status_text=status_name)]
    reasons = [f"- {f.message}" for f in stored.reasons]
    if reasons:
        lines.append(text("lookup-reasons", reasons="\n".join(reasons)))
    return "\n".join(lines)
