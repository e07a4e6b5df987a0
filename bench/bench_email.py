"""Messages/s accepted by `pakn smtp` (durable journal) vs a bare aiosmtpd sink, in the same run.

Both are separate processes on loopback; the load is 8 persistent smtplib connections sending mails
with distinct Message-IDs (CRLF line ends).  The listener answers 250 only after the journal's commit
(SQLite WAL, synchronous=FULL, group commit).  Target: ≥ 70% of the bare sink's rate on the realistic mix.

The default mix is what citizens' mail clients send (see ``realistic_message``): mostly
multipart/alternative with an HTML part in base64 or quoted-printable, one in ten with a ~200 KB photo,
a few plain text.  ``--mix plain`` sends only the ~4 KB text/plain mail of earlier sessions.  The mails
are built before the clock starts, so the clients spend their time sending.

    .venv/bin/python -m bench.bench_email [--messages 2000] [--connections 8] [--rounds 3] [--mix realistic]
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SINK = """
import asyncio, sys
from aiosmtpd.smtp import SMTP
kept = []
class Keep:
    async def handle_DATA(self, server, session, envelope):
        kept.append(envelope.original_content)
        return "250 OK"
async def main():
    loop = asyncio.get_running_loop()
    await loop.create_server(lambda: SMTP(Keep(), decode_data=False), "127.0.0.1", int(sys.argv[1]))
    await asyncio.Event().wait()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}")


def message(index: int, run: str) -> bytes:
    line = "Đèn đường trước nhà số 12 đường Trần Phú, phường Nha Trang không sáng."
    body = "\r\n".join([line] * 50)  # ~4 KB
    return (
        f"From: Nguyen Van An <an{index % 50}@example.vn>\r\nTo: pakn@khanhhoa.gov.vn\r\n"
        f"Subject: Phan anh {index}\r\nMessage-ID: <bench-{run}-{index}@example.vn>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body
        + "\r\n"
    ).encode()


LINES = [
    "Kính gửi Trung tâm Phục vụ hành chính công tỉnh Khánh Hòa,",
    "Đèn đường trước nhà số 12 đường Trần Phú, phường Nha Trang không sáng đã ba đêm nay.",
    "Khu vực này buổi tối rất tối, nhiều người đi bộ và xe máy qua lại, dễ xảy ra tai nạn.",
    "Sự việc xảy ra từ khoảng 19 giờ ngày 12/9/2024 đến nay.",
    "Kính đề nghị cơ quan chức năng kiểm tra, sửa chữa sớm.",
]
SIGNATURE = "Trân trọng,\nNguyễn Văn An\nĐT: 0905 123 456\nĐịa chỉ: số 12 Trần Phú, phường Nha Trang"
# A JPEG as a phone sends it: the markers a content check reads, then ~200 KB of (incompressible) data.
PHOTO = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + random.Random(7).randbytes(200_000)
    + b"\xff\xd9"
)


def realistic_message(index: int, run: str, unique: bool = False) -> bytes:
    """One mail of the mix: 10% with a photo, 15% text/plain, the rest multipart/alternative (text + HTML).

    ``unique``: each mail from its own citizen (address, phone, house number, photo), so that the normalizer
    sees no repeats, as in real traffic (bench_email_worker); otherwise 50 senders of the same text."""
    kind = index % 20
    lines, signature, sender, photo = LINES, SIGNATURE, f"an{index % 50}@gmail.com", PHOTO
    if unique:
        number = index % 1_000_000
        lines = [line.replace("số 12", f"số {index + 1}") for line in LINES]
        signature = SIGNATURE.replace("0905 123 456", f"0905 {number // 1000:03d} {number % 1000:03d}")
        signature = signature.replace("số 12", f"số {index + 1}")
        sender = f"an{index}@gmail.com"
        photo = PHOTO[:-2] + index.to_bytes(4, "big") + PHOTO[-2:]  # each its own file in the store
    text = "\n".join(lines * 3) + "\n\n" + signature + "\n"
    mail = EmailMessage(policy=SMTP)
    mail["From"] = f"Nguyễn Văn An <{sender}>"
    mail["To"] = "pakn@khanhhoa.gov.vn"
    mail["Subject"] = f"Phản ánh đèn đường không sáng ({index})"
    mail["Message-ID"] = f"<bench-{run}-{index}@mail.gmail.com>"
    mail["Date"] = "Thu, 12 Sep 2024 21:04:05 +0700"
    if kind in (0, 1, 2):  # plain text, as some phones and old clients send it
        mail.set_content(text, cte="8bit")
        return mail.as_bytes()
    paragraphs = "".join(f"<p>{line}</p>" for line in lines * 3)
    html = (
        '<html><head><meta charset="UTF-8"></head><body><div dir="ltr">'
        f'{paragraphs}<div class="gmail_signature">{signature.replace(chr(10), "<br>")}</div></div></body></html>'
    )
    cte = "base64" if index % 2 else "quoted-printable"
    mail.set_content(text, cte=cte)
    mail.add_alternative(html, subtype="html", cte=cte)
    if kind in (3, 4):  # one in ten: a photo of the place
        mail.add_attachment(photo, maintype="image", subtype="jpeg", filename=f"IMG_2024091{index % 10}.jpg")
    return mail.as_bytes()


def plain_message(index: int, run: str) -> bytes:
    return message(index, run)


MIXES = {"realistic": realistic_message, "plain": plain_message}


def load(port: int, total: int, connections: int, mix: str = "realistic") -> float:
    run = uuid.uuid4().hex[:8]
    per = total // connections
    make = MIXES[mix]
    mails = [[make(offset * per + i, run) for i in range(per)] for offset in range(connections)]
    errors: list[BaseException] = []

    def client(offset: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
                for mail in mails[offset]:
                    smtp.sendmail("an@example.vn", ["pakn@khanhhoa.gov.vn"], mail)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(connections)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return per * connections / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="Alternating sink/listener rounds (median).")
    parser.add_argument("--mix", choices=sorted(MIXES), default="realistic", help="Which mails to send.")
    args = parser.parse_args()

    sink_port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(sink_port)])
    data = Path(tempfile.mkdtemp(prefix="pakn-bench-email-"))
    smtp_port = free_port()
    env = dict(
        os.environ,
        PAKN_DATA_DIR=str(data),
        EMAIL_SMTP_PORT=str(smtp_port),
        EMAIL_ADDRESSES="pakn@khanhhoa.gov.vn",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        QUEUE_NAME=f"bench{uuid.uuid4().hex[:6]}",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(REPO),
    )
    subprocess.run([sys.executable, "-m", "pakn.app.cli", "db", "upgrade"], env=env, check=True, cwd=data)
    listener = subprocess.Popen([sys.executable, "-m", "pakn.app.cli", "smtp"], env=env, cwd=data)
    try:
        wait_listening(sink_port)
        wait_listening(smtp_port)
        load(sink_port, 200, args.connections, args.mix)  # warm-up
        load(smtp_port, 200, args.connections, args.mix)
        # Rounds alternate so that both see the same machine: on a shared VM the rate drifts by ±20%
        # from one run to the next.
        rounds = [
            (
                load(sink_port, args.messages, args.connections, args.mix),
                load(smtp_port, args.messages, args.connections, args.mix),
            )
            for _ in range(args.rounds)
        ]
    finally:
        sink.terminate()
        listener.terminate()
        sink.wait(10)
        listener.wait(10)
    print(f"command: {shlex.join([sys.executable, '-m', 'bench.bench_email', *sys.argv[1:]])}")
    for index, (bare, durable) in enumerate(rounds, 1):
        print(
            f"round {index}: bare aiosmtpd sink (in memory) {bare:6.0f} msg/s, "
            f"pakn smtp (durable SQLite journal) {durable:6.0f} msg/s = {durable / bare:.0%}"
        )
    bare = statistics.median(b for b, _ in rounds)
    durable = statistics.median(d for _, d in rounds)
    ratio = statistics.median(d / b for b, d in rounds)
    print(f"median: sink {bare:.0f} msg/s, pakn smtp {durable:.0f} msg/s, ratio {ratio:.0%} (target >= 70%)")


if __name__ == "__main__":
    main()
