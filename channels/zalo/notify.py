"""Status changes pushed to the Zalo user a submission came from (NOTIFIERS entry for Channel.ZALO).

Runs in the worker's notify job: a failed send raises and the outbox retries it with backoff; a
channel without credentials raises ``NotSendable`` and the message is kept, visible, not retried.

The request to rate goes with one button per rating (``OaClient.send_buttons``); a click comes back as the
citizen's text ``#danhgia <1-4> <mã>`` (``channels.zalo.events``), taken once by the conversation engine.
Typing 1-4 keeps working.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from channels.zalo.chat import http_client, oa_client
from channels.zalo.events import rating_payload
from channels.zalo.oa import Button, OaClient, not_configured
from channels.zalo.payload import user_id_of
from pakn.notify import RATING, Notification, NotSendable
from pakn.records import RATINGS

if TYPE_CHECKING:
    from channels.runtime import Runtime


class ZaloNotifier:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._oa: OaClient | None = None

    def send(self, notification: Notification) -> None:
        reason = not_configured(self.runtime.settings)
        if reason:
            raise NotSendable(reason)
        if self._oa is None:
            self._oa = oa_client(self.runtime, http_client())
        user_id = user_id_of(notification.raw)
        if notification.kind == RATING:
            self._oa.send_buttons(user_id, notification.message, self._rating_buttons(notification.tracking_code))
        else:
            self._oa.send_text(user_id, notification.message)

    def _rating_buttons(self, tracking_code: str) -> list[Button]:
        messages = self.runtime.catalog.messages
        return [
            Button(messages.text("notification", f"rating-{rating}"), rating_payload(n, tracking_code))
            for n, rating in enumerate(RATINGS, start=1)
        ]


def notifier(runtime: Runtime) -> ZaloNotifier:
    return ZaloNotifier(runtime)
