"""Answers to citizens by mail, through the configured outbound relay (SMTP_RELAY_HOST).

Each answer is threaded under the citizen's mail (In-Reply-To/References), carries
``Auto-Submitted: auto-replied`` and a Message-ID made from the outbox row (``<pakn-{id}-{code}@host>``),
so a retried send is the same message and a reply to it finds its submission again.  Mails that must
not be answered (RFC 3834, see ``loops``) and senders past the daily cap get none; ``email_outbound``
records either way, which also makes a repeated ``send`` a no-op.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from channels.email.attachments import damaged_of, refused_of
from channels.email.loops import no_answer_reason
from channels.email.parse import Mail, parse_mail
from channels.runtime import Runtime
from pakn.db import email_answer_counts, email_outbound, utcnow, writer
from pakn.mailheaders import set_subject
from pakn.notify import Notifier
from pakn.records import Notification

log = logging.getLogger(__name__)

# ``email_outbound.kind`` of an answer to a status request: not a message about the submission to its sender.
LOOKUP_KIND = "lookup"


def answer_message_id(notification: Notification, hostname: str) -> str:
    return f"pakn-{notification.id}-{notification.tracking_code}@{hostname}"


class EmailNotifier:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.engine = runtime.journal.engine
        self.messages = runtime.catalog.messages

    @property
    def from_address(self) -> str:
        own = [a for a in self.settings.email.addresses if not a.startswith("@")]
        return self.settings.email.from_address or (own[0] if own else f"pakn@{self.settings.email.hostname}")

    def send(self, notification: Notification) -> None:
        if self._sent(email_outbound.c.notification_id == notification.id):
            return
        mail = parse_mail(notification.raw)
        recipient, reason, day = self._may_answer(mail)
        message_id = answer_message_id(notification, self.settings.email.hostname)
        if reason is not None:
            self._record(notification.submission_id, notification.id, notification.kind, message_id, reason, None, day)
            log.info("no answer to submission %d: %s", notification.submission_id, reason)
            return
        self._relay(self._compose(notification, mail, recipient, message_id))
        self._record(notification.submission_id, notification.id, notification.kind, message_id, None, recipient, day)

    def answer_lookup(self, mail: Mail, source: str, submission_id: int, tracking_code: str, status: str) -> None:
        """Answer a status request (``channels.followup``) at once, threaded under it: the status only.

        Sent before the mail is acknowledged, so a relay that fails raises and the mail comes again; its
        Message-ID is made from the request's source identity, so a request delivered twice is answered
        once.  A reply to it completes nothing by itself (``kind`` lookup: see ``MailIntake``).
        """
        digest = hashlib.sha256(source.encode()).hexdigest()[:24]
        message_id = f"pakn-lookup-{digest}-{tracking_code}@{self.settings.email.hostname}"
        if self._sent(email_outbound.c.message_id == message_id):
            return
        recipient, reason, day = self._may_answer(mail)
        if reason is not None:
            self._record(submission_id, None, LOOKUP_KIND, message_id, reason, None, day)
            log.info("no answer to a status request for submission %d: %s", submission_id, reason)
            return
        text = self.messages.text
        subject = f"[{tracking_code}] " + text("email", "subject-lookup", tracking_code=tracking_code)
        body = [text("email", "greeting"), "", status, "", text("email", "footer", tracking_code=tracking_code)]
        self._relay(self._threaded(mail, recipient, message_id, subject, body))
        self._record(submission_id, None, LOOKUP_KIND, message_id, None, recipient, day)

    def _sent(self, which: ColumnElement[bool]) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(email_outbound.c.id).where(which)).first() is not None

    def _may_answer(self, mail: Mail) -> tuple[str, str | None, str]:
        """To whom, why not (None: answer), and today's date for the per-sender cap."""
        recipient = (mail.reply_to or mail.from_address or "").lower()
        reason = no_answer_reason(mail, (*self.settings.email.addresses, self.from_address))
        if reason is None and not self.settings.smtp_relay.host:
            reason = "no-relay"
        day = datetime.now(ZoneInfo(self.settings.timezone)).date().isoformat()
        if reason is None and self._answers(recipient, day) >= self.settings.email.max_answers_per_sender_per_day:
            reason = "daily-limit"
        return recipient, reason, day

    def _compose(self, notification: Notification, mail: Mail, recipient: str, message_id: str) -> EmailMessage:
        text = self.messages.text
        code = notification.tracking_code
        kind = notification.kind.replace("-", "_")
        subject_key = f"subject-{kind}" if self.messages.has("email", f"subject-{kind}") else "subject-default"
        body = [text("email", "greeting"), "", notification.message]
        refused = refused_of(self.engine, notification.submission_id)
        if refused:
            body += ["", text("email", "attachments-refused")]
            for name, reason in refused:
                why = text("email", f"refused-{reason}") if self.messages.has("email", f"refused-{reason}") else reason
                body.append(f"- {name}: {why}")
        damaged = damaged_of(self.engine, notification.submission_id)
        if damaged:
            body += ["", text("email", "attachments-damaged")]
            body += [f"- {name}" for name in damaged]
        if notification.kind == "needs_information":
            body += ["", text("email", "how-to-complete", tracking_code=code)]
        body += ["", text("email", "footer", tracking_code=code)]
        subject = f"[{code}] " + text("email", subject_key, tracking_code=code)
        return self._threaded(mail, recipient, message_id, subject, body)

    def _threaded(self, mail: Mail, recipient: str, message_id: str, subject: str, body: list[str]) -> EmailMessage:
        """An automatic answer under the citizen's mail (In-Reply-To, References; RFC 3834 headers)."""
        answer = EmailMessage()
        answer["From"] = formataddr((self.settings.email.from_name, self.from_address))
        answer["To"] = recipient
        set_subject(answer, subject)
        answer["Date"] = format_datetime(utcnow())
        answer["Message-ID"] = f"<{message_id}>"
        if mail.message_id:
            answer["In-Reply-To"] = f"<{mail.message_id}>"
            answer["References"] = " ".join(f"<{i}>" for i in (*mail.references[-10:], mail.message_id))
        answer["Auto-Submitted"] = "auto-replied"
        answer["X-Auto-Response-Suppress"] = "All"
        answer.set_content("\n".join(body))
        return answer

    def _relay(self, answer: EmailMessage) -> None:
        s = self.settings
        assert s.smtp_relay.host
        with smtplib.SMTP(s.smtp_relay.host, s.smtp_relay.port, local_hostname=s.email.hostname, timeout=30) as smtp:
            if s.smtp_relay.starttls:
                smtp.starttls()
            if s.smtp_relay.user and s.smtp_relay.password:
                smtp.login(s.smtp_relay.user, s.smtp_relay.password.get_secret_value())
            smtp.send_message(answer, from_addr=self.from_address)

    def _answers(self, recipient: str, day: str) -> int:
        with self.engine.connect() as conn:
            count = conn.execute(
                select(email_answer_counts.c.count).where(
                    email_answer_counts.c.sender == recipient, email_answer_counts.c.day == day
                )
            ).scalar_one_or_none()
        return int(count or 0)

    def _record(
        self,
        submission_id: int,
        notification_id: int | None,
        kind: str,
        message_id: str,
        reason: str | None,
        recipient: str | None,
        day: str,
    ) -> None:
        """What was sent (``reason`` None) or suppressed and why; counted against the sender's daily cap."""
        with writer(self.engine).begin() as conn:
            conn.execute(
                insert(email_outbound).values(
                    message_id=message_id,
                    submission_id=submission_id,
                    notification_id=notification_id,
                    kind=kind[:32],
                    status="sent" if reason is None else "suppressed",
                    reason=reason,
                    created_at=utcnow(),
                )
            )
            if recipient:
                _count_answer(conn, recipient, day)


def _count_answer(conn: Connection, recipient: str, day: str) -> None:
    changed = conn.execute(
        update(email_answer_counts)
        .where(email_answer_counts.c.sender == recipient, email_answer_counts.c.day == day)
        .values(count=email_answer_counts.c.count + 1)
    ).rowcount
    if not changed:
        conn.execute(insert(email_answer_counts).values(sender=recipient, day=day, count=1))


def notifier(runtime: Runtime) -> Notifier:
    """The NOTIFIERS factory for Channel.EMAIL."""
    return EmailNotifier(runtime)
