"""Headers of the mail the gateway writes, encoded so that every reader gets back exactly the text written.

Python 3.11's folder of RFC 2047 encoded words (``email.policy.default``) drops the space between two
encoded words where it folds a long header: "Cảm ơn Ông/Bà đã đánh giá" reached citizens as "…đã đánhgiá".
The older ``email.header.Header`` encodes the text itself (its spaces inside the encoded words, each word
at most 75 characters, lines at most 76), and ``set_raw`` keeps that value as it is.
"""

from __future__ import annotations

from email.header import Header
from email.message import EmailMessage

# RFC 2047's longest encoded word (Header counts a folded line's leading space apart, so this bounds a word).
MAX_WORD = 75


def set_subject(message: EmailMessage, text: str) -> None:
    """``message``'s Subject is ``text``: encoded (if not ASCII) and folded losslessly; any earlier one removed."""
    del message["Subject"]
    message.set_raw("Subject", Header(text, "utf-8", header_name="Subject").encode(maxlinelen=MAX_WORD))
