"""The IMAP poller against a real Dovecot: exactly once across a crash and a new UIDVALIDITY; backfill."""

from __future__ import annotations

from collections.abc import Callable

from tests.channels.email.conftest import Dovecot, fixture
from tests.conftest import SYSTEM_REDIS, Gateway, wait_until

FOLDER = "PAKN"
FLAG = b"$PaknJournaled"


def flagged(dovecot: Dovecot, user: str, password: str) -> tuple[int, int]:
    """(mails in the folder, mails flagged as journaled)."""
    client = dovecot.client(user, password)
    try:
        client.select_folder(FOLDER, readonly=True)
        flags = client.get_flags(client.search(["ALL"]))
        return len(flags), sum(1 for f in flags.values() if FLAG in f)
    finally:
        client.logout()


def append(dovecot: Dovecot, user: str, password: str, names: list[str], recreate: bool = False) -> int:
    """Put fixtures in the folder; ``recreate``: delete and create it first (a new UIDVALIDITY)."""
    client = dovecot.client(user, password)
    try:
        if recreate and client.folder_exists(FOLDER):
            client.delete_folder(FOLDER)
        if not client.folder_exists(FOLDER):
            client.create_folder(FOLDER)
        for name in names:
            client.append(FOLDER, fixture(name))
        return int(client.select_folder(FOLDER)[b"UIDVALIDITY"])
    finally:
        client.logout()


def imap_env(dovecot: Dovecot, user: str, password: str) -> dict[str, str]:
    return {
        "REDIS_URL": SYSTEM_REDIS,
        "IMAP_HOST": "127.0.0.1",
        "IMAP_PORT": str(dovecot.port),
        "IMAP_SSL": "false",
        "IMAP_USER": user,
        "IMAP_PASSWORD": password,
        "IMAP_FOLDER": FOLDER,
        "IMAP_IDLE_SECONDS": "30",
        "IMAP_BACKOFF_MAX_SECONDS": "1",
    }


def test_poller_is_exactly_once_across_a_crash_and_a_new_uidvalidity(
    make_gateway: Callable[..., Gateway], dovecot: Dovecot
) -> None:
    user, password = dovecot.new_user()
    first = ["plain_utf8.eml", "cp1258.eml", "bounce_dsn.eml", "no_message_id.eml"]
    old_validity = append(dovecot, user, password, first)

    # Crash between journaling and flagging: the first mail is in the journal, nothing is flagged.
    crashing = make_gateway(**imap_env(dovecot, user, password), PAKN_TEST_FAILPOINT="imap-after-journal")
    crashing.pakn("db", "upgrade")
    crashing.start("imap", "imap")
    assert crashing.processes["imap"].wait(60) == 75
    assert crashing.journal("select count(*) from submissions") == [(1,)]
    assert flagged(dovecot, user, password) == (4, 0)

    # Restarted (same data folder): the rest is journaled once, everything is flagged, nothing twice.
    gateway = Gateway(crashing.data_dir, {**crashing.env, "PAKN_TEST_FAILPOINT": ""}, crashing.port)
    gateway.start("imap", "imap")
    try:
        wait_until(lambda: flagged(dovecot, user, password) == (4, 4), 60, "4 mails flagged")
        assert gateway.journal("select count(*) from submissions") == [(4,)]

        # New mail while the poller waits in IDLE.
        append(dovecot, user, password, ["html_only.eml"])
        wait_until(lambda: flagged(dovecot, user, password) == (5, 5), 60, "the new mail flagged")
        assert gateway.journal("select count(*) from submissions") == [(5,)]

        # The folder is re-created (new UIDVALIDITY) with the same mails and one more: one new case only.
        gateway.kill("imap")
        new_validity = append(dovecot, user, password, [*first, "html_only.eml", "base64.eml"], recreate=True)
        assert new_validity != old_validity
        gateway.start("imap", "imap")
        wait_until(lambda: flagged(dovecot, user, password) == (6, 6), 60, "6 mails flagged in the new folder")
        assert gateway.journal("select count(*) from submissions") == [(6,)]
        sources = {r[0] for r in gateway.journal("select source_id from submissions")}
        assert "mid:b64-1@example.vn" in sources
        assert sum(1 for s in sources if s.startswith("sha256:")) == 1  # the mail without a Message-ID, once
        # One checkpoint per UIDVALIDITY (the old one may lag by the mail flagged just before the kill).
        query = f"select last_uid from email_checkpoints where uidvalidity = {new_validity}"
        wait_until(lambda: gateway.journal(query) == [(6,)], 30, "the new folder's checkpoint")
        (old_last,) = gateway.journal(f"select last_uid from email_checkpoints where uidvalidity = {old_validity}")
        assert old_last[0] in (4, 5)
    finally:
        gateway.stop()


def test_backfill_imports_a_mailbox_once_with_a_summary(make_gateway: Callable[..., Gateway], dovecot: Dovecot) -> None:
    user, password = dovecot.new_user()
    append(dovecot, user, password, ["plain_utf8.eml", "vni_undeclared.eml", "mailing_list.eml"])
    gateway = make_gateway(**imap_env(dovecot, user, password))
    gateway.pakn("db", "upgrade")
    result = gateway.pakn("mail", "backfill", "--since", "2024-01-01")
    assert "3 thư từ ngày 2024-01-01: 3 mới, 0 đã có trong nhật ký" in result.stdout.decode()
    assert flagged(dovecot, user, password) == (3, 3)
    again = gateway.pakn("mail", "backfill", "--since", "2024-01-01")
    assert "3 thư từ ngày 2024-01-01: 0 mới, 3 đã có trong nhật ký" in again.stdout.decode()
    assert gateway.journal("select count(*) from submissions") == [(3,)]
