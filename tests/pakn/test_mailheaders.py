"""Every subject the gateway writes reaches the reader exactly as written (pakn.mailheaders)."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from config.catalog import load_catalog
from config.settings import Settings
from pakn.mailheaders import set_subject

SECTIONS = load_catalog(Settings().data_dir).messages.sections
SUBJECTS = [
    *(f"[PAKN-7K2M-Q9XC] {text}" for key, text in SECTIONS["email"].items() if key.startswith("subject-")),
    SECTIONS["summary"]["subject"],
    "Re: " + "phản ánh, kiến nghị " * 8,  # long enough to fold several times
    "PAKN-7K2M-Q9XC",  # ASCII stays as it is
]


def test_every_subject_comes_back_as_written_in_words_and_lines_of_the_standard_length() -> None:
    assert len(SUBJECTS) > 10
    for subject in SUBJECTS:
        message = EmailMessage()
        message["Subject"] = "an earlier one"
        set_subject(message, subject)
        message.set_content("Kính gửi Ông/Bà.")
        raw = message.as_bytes()
        head = raw.split(b"\n\n", 1)[0].decode("ascii")
        assert head.count("Subject:") == 1
        assert BytesParser(policy=policy.default).parsebytes(raw)["Subject"] == subject
        assert message["Subject"] == subject
        assert all(len(line) <= 78 for line in head.splitlines()), head
        assert all(len(word) <= 75 for word in re.findall(r"=\?[^?]+\?[bBqQ]\?[^?]*\?=", head)), head


def test_the_fold_python_does_itself_loses_a_space_which_is_why_set_subject_exists() -> None:
    """If this starts failing, the standard library's folder is fixed and set_subject can go."""
    subject = "[PAKN-7K2M-Q9XC] Cảm ơn Ông/Bà đã đánh giá"
    message = EmailMessage()
    message["Subject"] = subject
    message.set_content("x")
    assert BytesParser(policy=policy.default).parsebytes(message.as_bytes())["Subject"] != subject
