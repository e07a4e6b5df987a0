"""The shared limits on a real Redis: separate buckets, sign-in locks, and failing open without Redis."""

from __future__ import annotations

import uuid
from pathlib import Path

from limits.storage import RedisStorage

from config.settings import Settings, WebSettings
from pakn.ratelimit import Limits
from tests.conftest import SYSTEM_REDIS, free_port


def limits_on(redis_url: str, tmp_path: Path, **web: object) -> Limits:
    settings = Settings(pakn_data_dir=tmp_path, web=WebSettings(**web))  # type: ignore[arg-type]
    return Limits(settings, RedisStorage(redis_url, key_prefix=f"t{uuid.uuid4().hex[:8]}-limits"))


def test_buckets_are_separate_and_shared_by_every_instance(tmp_path: Path) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}-limits"
    settings = Settings(pakn_data_dir=tmp_path, web=WebSettings(rate_limit_posts=2, rate_limit_lookups=3))
    one, two = (Limits(settings, RedisStorage(SYSTEM_REDIS, key_prefix=prefix)) for _ in range(2))
    assert [one.hit("post", "203.0.113.1"), two.hit("post", "203.0.113.1")] == [0.0, 0.0]
    assert one.hit("post", "203.0.113.1") > 0, "the second instance's hit counted"
    assert two.hit("post", "203.0.113.2") == 0.0, "another client has its own allowance"
    assert [two.hit("lookup", "203.0.113.1") for _ in range(3)] == [0.0] * 3, "posts do not spend lookups"
    assert 0 < one.hit("lookup", "203.0.113.1") <= 600


def test_failed_sign_ins_lock_the_account_even_for_the_right_password(tmp_path: Path) -> None:
    limits = limits_on(SYSTEM_REDIS, tmp_path)
    for _ in range(4):
        limits.login_failed("lan", "203.0.113.9", "test")
    assert limits.login_allowed("lan", "203.0.113.9").allowed
    limits.login_failed("LAN", "203.0.113.9", "test")  # the fifth, whatever the case of the name
    locked = limits.login_allowed("lan", "198.51.100.1")
    assert not locked.allowed and 800 < locked.wait <= 900, "locked for 15 minutes, from any address"
    assert limits.login_allowed("hoa", "203.0.113.9").allowed, "the address is not locked after 5"


def test_many_accounts_from_one_address_lock_the_address(tmp_path: Path) -> None:
    limits = limits_on(SYSTEM_REDIS, tmp_path)
    for n in range(20):
        limits.login_failed(f"user{n}", "203.0.113.7", "test")
    assert not limits.login_allowed("someone-else", "203.0.113.7").allowed
    assert limits.login_allowed("someone-else", "203.0.113.8").allowed


def test_a_right_password_forgives_earlier_failures(tmp_path: Path) -> None:
    limits = limits_on(SYSTEM_REDIS, tmp_path)
    for _ in range(4):
        limits.login_failed("minh", "203.0.113.5", "test")
    limits.login_succeeded("minh")
    for _ in range(4):
        limits.login_failed("minh", "203.0.113.5", "test")
    assert limits.login_allowed("minh", "203.0.113.5").allowed


def test_without_redis_requests_go_through(tmp_path: Path) -> None:
    limits = limits_on(f"redis://127.0.0.1:{free_port()}/0", tmp_path, rate_limit_posts=1)
    assert [limits.hit("post", "203.0.113.1") for _ in range(3)] == [0.0] * 3
    assert limits.login_allowed("lan", "203.0.113.1").allowed
