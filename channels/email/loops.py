"""RFC 3834 loop safety: which mails must never get an automatic answer.

A mail that must not be answered is still journaled (nothing is lost); only the answer is withheld,
and ``email_outbound`` records why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the parser uses these checks, so it is imported here for types alone
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


# Subjects of auto-replies that carry no header saying so (older Outlook, webmail vacation settings).
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?reply|auto:|autoreply|vacation|"
    r"trả lời tự động|thư trả lời tự động|vắng mặt)",
    re.IGNORECASE,
)
_BOUNCE_TEXT = re.compile(
    r"^\s*(?:hi\. this is the qmail-send program|this is the mail system at host|"
    r"this message was created automatically by mail delivery software|delivery has failed to these recipients)",
    re.IGNORECASE,
)
_NOTICE_SENDERS = frozenset({"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply"})
_BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})


def automatic_kind(mail: Mail, own_addresses: Iterable[str]) -> str | None:
    """What kind of mail no person wrote this is (``own-address``, ``bounce``, ``auto-reply``, ``newsletter``,
    ``notice``), or None for a person's mail.

    Such mail is journaled but never becomes a case (see ``dispatcher.jobs.verdict_for``).  Stricter than
    ``no_answer_reason``: a person's mail may go unanswered (no address, a daily cap) and still be a case.
    """
    own = {a.lower() for a in own_addresses}
    sender = (mail.from_address or "").lower()
    domain = "@" + sender.partition("@")[2] if sender else ""
    if sender and (sender in own or domain in own):
        return "own-address"  # our own answer come back (a loop), or a forged sender
    content_type = mail.message.get_content_type()
    local = sender.partition("@")[0]
    if content_type == "multipart/report" or local in _BOUNCE_SENDERS or _BOUNCE_TEXT.match(mail.text):
        return "bounce"
    auto = mail.header("auto-submitted").split(";")[0].strip().lower()
    if auto == "auto-replied" or mail.header("x-autoreply") or mail.header("x-autorespond"):
        return "auto-reply"
    if _AUTO_REPLY_SUBJECT.match(mail.subject):
        return "auto-reply"
    if any(mail.header(name) for name in _LIST_HEADERS) or mail.header("precedence").strip().lower() in _BULK:
        return "newsletter"
    if (auto and auto != "no") or local in _NOTICE_SENDERS:
        return "notice"
    if mail.return_path == "":
        return "bounce"  # the null sender: delivery reports (and the auto-replies already recognised above)
    return None
