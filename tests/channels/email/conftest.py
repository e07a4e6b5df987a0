"""Real servers for the email tests: Dovecot (Debian's dovecot-imapd) and the outbound relay stand-in."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.conftest import free_port, wait_until
from tests.standins.smtp_relay import SmtpRelayStandIn

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "email"

_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
info_log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {base}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={base}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class Dovecot:
    """A Dovecot of the test session's own; each test gets a mailbox user of its own."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="pakn-dovecot-"))
        self.port = free_port()

    def start(self) -> None:
        os.chmod(self.base, 0o755)
        for sub in ("run", "state", "mail"):
            (self.base / sub).mkdir()
        shutil.chown(self.base / "mail", "dovecot", "dovecot")
        # Users are written before the start: Dovecot may not notice a passwd-file changed within a second.
        self.users = [(f"u{uuid.uuid4().hex[:8]}", uuid.uuid4().hex) for _ in range(12)]
        (self.base / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users))
        self.config = self.base / "dovecot.conf"
        self.config.write_text(_CONFIG.format(base=self.base, port=self.port))
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        subprocess.run([binary, "-c", str(self.config)], check=True, timeout=30)
        wait_until(self._answers, 20, "dovecot to accept IMAP connections")

    def _answers(self) -> bool:
        try:
            IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=2).logout()
            return True
        except Exception:
            return False

    def new_user(self) -> tuple[str, str]:
        """A mailbox user nobody else has used."""
        return self.users.pop()

    def client(self, user: str, password: str) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(user, password)
        return client

    def stop(self) -> None:
        pid_file = self.base / "run" / "master.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def relay() -> Iterator[SmtpRelayStandIn]:
    stand_in = SmtpRelayStandIn(free_port()).start()
    yield stand_in
    stand_in.stop()


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
