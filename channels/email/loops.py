"""RFC 3834 loop safety: which mails must never get an automatic answer.

A mail that must not be answered is still journaled (nothing is lost); only the answer is withheld,
and ``email_outbound`` records why.
"""

from __future__ import annotations

from collections.abc import Iterable

from channels.email.parse import Mail

_BULK = frozenset({"bulk", "list", "junk"})
_LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "list-help")
_DAEMONS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply")


def no_answer_reason(mail: Mail, own_addresses: Iterable[str]) -> str | None:
    """Why this mail gets no automatic answer, or None when one may be sent."""
    if mail.return_path == "":
        return "null-sender"
    content_type = mail.message.get_content_type()
    report_type = (mail.message.get_param("report-type", header="content-type") or "") if content_type else ""
    if content_type == "multipart/report" or str(report_type).lower() == "delivery-status":
        return "bounce"
    address = (mail.reply_to or mail.from_address or "").lower()
    if not address:
        return "no-address"
    local = address.partition("@")[0]
    if local in _DAEMONS:
        return "bounce"
    auto = mail.header("auto-submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return "auto-submitted"
    if mail.header("x-autoreply") or mail.header("x-autorespond"):
        return "auto-submitted"
    suppress = mail.header("x-auto-response-suppress").lower()
    if "all" in suppress or "autoreply" in suppress:
        return "auto-submitted"
    if mail.header("precedence").strip().lower() in _BULK:
        return "precedence"
    if any(mail.header(name) for name in _LIST_HEADERS):
        return "mailing-list"
    own = {a.lower() for a in own_addresses if not a.startswith("@")}
    if address in own or (mail.from_address or "").lower() in own:
        return "own-address"
    return None
