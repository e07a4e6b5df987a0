"""The live map (/admin/map) in Chromium, on a gateway of its own with no tile server: seeded submissions
with location pins (Open311, journaled like the web form's) and without (the JSON API) show as pins and as
counts per commune; a filter changes what is shown without a reload; a new submission appears by itself;
a screenshot is checked pixel by pixel where the pins are drawn; the JSON behind it refuses anyone not
signed in as a supervisor and carries nothing personal."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.channels.web.conftest import ARTIFACTS, OPEN311_KEY, client_for, open_form, receipt_code
from tests.conftest import SYSTEM_REDIS, Gateway, free_port, gateway_env, wait_until
from tests.png import read_png, solid_png

PASSWORD = "mat-khau-ban-do-2024"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip
PIN_BLUE, PIN_ORANGE, BACKGROUND = (0x0B, 0x4F, 0xA0), (0xD9, 0x77, 0x06), (0xEE, 0xF2, 0xEE)

# Pins in two communes of Khánh Hòa from two channels (an Open311 app, journaled on the API channel, and
# the web form), a confidential one (its pin never shown), and a case without a pin (the JSON API).
PINNED = {
    "nha-trang": {"lat": "12.2458", "long": "109.1953",
                  "address_string": "số 5 đường Trần Phú, phường Nha Trang, tỉnh Khánh Hòa",
                  "description": "Rác thải đổ trộm ở đầu hẻm 5 đường Trần Phú đã ba ngày chưa được thu gom, bốc mùi."},
    "secret": {"lat": "12.3221", "long": "109.1710",
               "address_string": "số 3 đường 2 Tháng 4, phường Bắc Nha Trang, tỉnh Khánh Hòa",
               "description": "Quán karaoke số 3 đường 2 Tháng 4 mở nhạc to sau 23 giờ nhiều đêm liền.",
               "attribute[confidential]": "true"},
}  # fmt: skip
PEOPLE = {"nha-trang": "Nguyễn Văn Bản", "cam-ranh": "Trần Thị Đồ", "secret": "Lê Văn Kín", "nam": "Đỗ Văn Nam"}
PHONES = {"nha-trang": "0905111222", "cam-ranh": "0905333444", "secret": "0905555666", "nam": "0905121212"}


def status(gateway: Gateway, code: str) -> str:
    return str(httpx.get(f"{gateway.url}/api/v1/submissions/{code}", timeout=10).json()["status"])


def open311(gateway: Gateway, name: str) -> str:
    family, *given = PEOPLE[name].split()
    form = {"api_key": OPEN311_KEY, "service_code": "moi-truong-do-thi", "last_name": family,
            "first_name": " ".join(given), "phone": PHONES[name], "email": f"{name}@example.vn",
            "attribute[incident_time]": "21h ngày 12/9/2024", **PINNED[name]}  # fmt: skip
    with client_for(gateway) as client:
        answer = client.post("/open311/v2/requests.json", data=form)
    assert answer.status_code == 201, answer.text
    return str(answer.json()[0]["service_request_id"])


def web_form(gateway: Gateway, name: str, street: str, commune: str, lat: str, lon: str) -> str:
    """The citizens' form with its optional map pin, as a browser posts it."""
    values = {"content": f"Ổ gà lớn giữa đường {street} gây nguy hiểm cho xe máy vào ban đêm, đã hai tuần.",
              "incident_time": "21h ngày 12/9/2024", "location": f"số 9 đường {street}, {commune}, tỉnh Khánh Hòa",
              "name": PEOPLE[name], "phone": PHONES[name], "email": "", "address": "",
              "latitude": lat, "longitude": lon}  # fmt: skip
    with client_for(gateway) as client:
        csrf, key = open_form(client)
        answer = client.post("/submit", data={**values, "csrf": csrf, "form_key": key})
    assert answer.status_code == 303, answer.text
    return receipt_code(answer)


def api(gateway: Gateway, place: str, phone: str) -> str:
    body = {"content": f"Đèn đường trước nhà {place} không sáng đã ba đêm, rất tối và nguy hiểm.",
            "incident_time": "21h ngày 12/9/2024", "location": place, "name": "Phạm Thị Đèn",
            "phone": phone}  # fmt: skip
    answer = httpx.post(f"{gateway.url}/api/v1/submissions", json=body, timeout=10)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["tracking_code"])


def normalized(gateway: Gateway, *codes: str) -> None:
    for code in codes:
        wait_until(lambda c=code: status(gateway, c) not in ("received",), 60, f"{code} normalized")  # type: ignore[misc]


@pytest.fixture(scope="module")
def map_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, str]]]:
    data_dir: Path = tmp_path_factory.mktemp("map")
    port = free_port()
    env = gateway_env(
        data_dir, PORT=str(port), REDIS_URL=SYSTEM_REDIS, WEB_TRUSTED_PROXIES="127.0.0.1",
        OPEN311_API_KEYS=json.dumps({"mobile-app": OPEN311_KEY}), MAP_POLL_SECONDS="1",
        MAP_TILE_URL="",  # no tile server: the plain background
    )  # fmt: skip
    gateway = Gateway(data_dir, env, port)
    gateway.start_all()
    try:
        gateway.pakn("operators", "add", "bando", "--name", "Võ Bản Đồ", "--role", "supervisor",
                     "--password-stdin", input=f"{PASSWORD}\n".encode())  # fmt: skip
        gateway.pakn("operators", "add", "tongdai", "--name", "Điện Thoại Viên", "--password-stdin",
                     input=f"{PASSWORD}\n".encode())  # fmt: skip
        codes = {name: open311(gateway, name) for name in PINNED}
        codes["cam-ranh"] = web_form(gateway, "cam-ranh", "Hùng Vương", "phường Cam Ranh", "11.9355", "109.1600")
        codes["ba-ngoi"] = api(gateway, "số 1 đường Nguyễn Công Trứ, phường Ba Ngòi, tỉnh Khánh Hòa", "0905777888")
        normalized(gateway, *codes.values())
        yield gateway, codes
    finally:
        gateway.stop()


def sign_in(page: Page, gateway: Gateway, username: str) -> None:
    page.goto(f"{gateway.url}/admin/map?channel=api")
    expect(page).to_have_url(f"{gateway.url}/admin/login?next=%2Fadmin%2Fmap%3Fchannel%3Dapi")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main form button")
    expect(page.locator("header.admin #signed-in")).to_be_visible()
    expect(page).to_have_url(f"{gateway.url}/admin/map?channel=api")  # back where they were going


def centre(page: Page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def near(colour: tuple[int, int, int], expected: tuple[int, int, int], slack: int = 24) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(colour, expected, strict=True))


def test_the_map_shows_pins_and_communes_and_filters_without_reload(
    map_gateway: tuple[Gateway, dict[str, str]],
) -> None:
    gateway, _codes = map_gateway
    with sync_playwright() as playwright:
        browser: Browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        ctx = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 900},
                                  extra_http_headers={"X-Forwarded-For": "192.0.2.91"})  # fmt: skip
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        elsewhere: list[str] = []  # Leaflet and everything else from the gateway itself: no CDN, no tiles
        page.on("request", lambda r: elsewhere.append(r.url) if not r.url.startswith(gateway.url) else None)
        sign_in(page, gateway, "bando")
        page.goto(f"{gateway.url}/admin/map")
        expect(page.locator("#channel")).to_have_value("")
        expect(page.locator("#no-tiles")).to_be_visible()  # no tile server set: said so, and drawn anyway
        expect(page.locator("#no-leaflet")).to_have_count(0)  # Leaflet installed by scripts/setup.sh, served here
        # Two pins (the confidential one is not shown), four communes (the API case has no pin, but a commune).
        expect(page.locator("#map path.map-pin")).to_have_count(2)
        expect(page.locator("#map path.map-commune")).to_have_count(4)
        expect(page.locator("#communes tbody tr")).to_have_count(4)
        for commune in ("Phường Nha Trang", "Phường Cam Ranh", "Phường Bắc Nha Trang", "Phường Ba Ngòi"):
            expect(page.locator("#communes tbody", has_text=commune)).to_have_count(1)
        expect(page.locator("#map-status")).to_contain_text("4 phản ánh phù hợp; 2 có điểm ghim")
        expect(page.locator("#map-status")).to_contain_text("1 điểm ghim của người gửi đề nghị giữ bí mật")
        expect(page.locator("#map-updated")).to_contain_text("tự động mỗi 1 giây")
        assert page.locator("#map img.leaflet-tile").count() == 0  # nothing asked of any tile server

        # The screenshot: each pin's colour where Leaflet put it, the communes' red around, the plain background.
        page.locator("#map").scroll_into_view_if_needed()  # boxes and the screenshot: the same viewport
        map_box = page.locator("#map").bounding_box()
        assert map_box is not None
        ARTIFACTS.mkdir(exist_ok=True)
        shot = read_png(page.screenshot(path=str(ARTIFACTS / "web-live-map.png")))
        for pin in page.locator("#map path.map-pin").all():
            box = pin.bounding_box()
            assert box is not None and box["width"] >= 10, box
            x, y = round(box["x"] + box["width"] / 2), round(box["y"] + box["height"] / 2)
            colour = shot.pixel(x, y)
            assert near(colour, PIN_BLUE) or near(colour, PIN_ORANGE), (x, y, colour)
        communes = page.locator("#map path.map-commune").all()
        reddish = 0
        for circle in communes:
            box = circle.bounding_box()
            assert box is not None
            # Just inside the circle's left edge: the commune's red over the background, not a pin.
            r, g, b = shot.pixel(round(box["x"] + box["width"] * 0.15), round(box["y"] + box["height"] / 2))
            reddish += r > g + 40 and r > b + 40
        assert reddish == len(communes), reddish
        corner = shot.pixel(round(map_box["x"] + 40), round(map_box["y"] + map_box["height"] - 40))
        assert near(corner, BACKGROUND, 6), corner  # the plain background where nothing is drawn
        colours = {shot.pixel(x, y) for x in range(int(map_box["x"]), int(map_box["x"] + map_box["width"]), 7)
                   for y in range(int(map_box["y"]), int(map_box["y"] + map_box["height"]), 7)}  # fmt: skip
        assert len(colours) > 20, len(colours)  # not a blank area

        # A filter changes what is shown without a reload: the page's own state survives, the address follows.
        page.evaluate("() => { window.stillTheSamePage = true; }")
        page.select_option("#channel", "web")
        expect(page.locator("#map path.map-pin")).to_have_count(1)  # the web form's; the Open311 app's is gone
        expect(page.locator("#communes tbody tr")).to_have_count(1)
        expect(page.locator("#communes tbody")).to_contain_text("Phường Cam Ranh")
        expect(page.locator("#map path.map-commune")).to_have_count(1)
        assert "channel=web" in page.url and page.evaluate("() => window.stillTheSamePage") is True
        # Updating by itself: a new case in another commune shows up while the page stays open.
        web_form(gateway, "nam", "Lê Hồng Phong", "phường Nam Nha Trang", "12.1947", "109.1680")
        expect(page.locator("#map path.map-pin")).to_have_count(2)
        expect(page.locator("#communes tbody tr")).to_have_count(2)
        expect(page.locator("#communes tbody")).to_contain_text("Phường Nam Nha Trang")
        page.select_option("#channel", "")
        expect(page.locator("#map path.map-pin")).to_have_count(3)
        expect(page.locator("#map path.map-commune")).to_have_count(5)
        assert "channel=" not in page.url and page.evaluate("() => window.stillTheSamePage") is True
        # Signed out (the session gone): the next poll is refused and the page says so.
        ctx.clear_cookies()
        expect(page.locator("#map-status")).to_contain_text("Phiên đăng nhập đã hết")
        errors = [e for e in errors if "401" not in e]  # the refused poll itself
        assert not errors, errors  # no script error, no refused (CSP) resource
        assert not elsewhere, elsewhere
        browser.close()


def test_the_map_data_is_for_signed_in_supervisors_only_and_personal_data_free(
    map_gateway: tuple[Gateway, dict[str, str]],
) -> None:
    gateway, codes = map_gateway
    anonymous = httpx.get(f"{gateway.url}/admin/map.json", timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "sign-in", anonymous.text
    assert "đăng nhập" in anonymous.json()["message"]
    page = httpx.get(f"{gateway.url}/admin/map", timeout=10, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/admin/login?next=%2Fadmin%2Fmap"
    forged = httpx.get(f"{gateway.url}/admin/map.json", cookies={"pakn_hotline_session": "forged"}, timeout=10)
    assert forged.status_code == 401
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        operator = browser.new_context(extra_http_headers={"X-Forwarded-For": "192.0.2.92"}).new_page()
        operator.goto(f"{gateway.url}/admin/login")
        operator.fill("#username", "tongdai")
        operator.fill("#password", PASSWORD)
        operator.click("main form button")
        assert operator.request.get(f"{gateway.url}/admin/map.json").status == 401  # operators get no session here
        ctx = browser.new_context(extra_http_headers={"X-Forwarded-For": "192.0.2.93"})
        sign_in(ctx.new_page(), gateway, "bando")
        answer = ctx.request.get(f"{gateway.url}/admin/map.json")
        assert answer.status == 200
        text = answer.text()
        data: dict[str, Any] = json.loads(text)
        # Nothing about who sent a case: no name, phone, e-mail, address or text of any submission.
        for secret in [*PEOPLE.values(), *PHONES.values(), "example.vn", "Trần Phú", "Rác thải", "Phạm Thị Đèn"]:
            assert secret not in text, secret
        pins = {pin["code"]: pin for pin in data["pins"]}
        assert {codes["nha-trang"], codes["cam-ranh"]} <= set(pins)  # (the other test may have added one)
        assert codes["secret"] not in pins and codes["ba-ngoi"] not in pins  # confidential; no pin
        assert data["hidden_pins"] == 1
        assert (pins[codes["nha-trang"]]["lat"], pins[codes["nha-trang"]]["lon"]) == (12.2458, 109.1953)
        counts = {c["name"]: c["count"] for c in data["communes"]}
        assert counts["Phường Bắc Nha Trang"] == 1  # the confidential case still counts in its commune
        assert all(c["point_from"] == "data" and c["lat"] for c in data["communes"])
        # Each filter narrows on the server: field, status, channel; a value not in the lists is refused.
        field = pins[codes["cam-ranh"]]["field"]
        narrowed = ctx.request.get(f"{gateway.url}/admin/map.json?field={field}").json()
        assert narrowed["pins"] and all(p["field"] == field for p in narrowed["pins"])
        assert len(narrowed["pins"]) == sum(p["field"] == field for p in data["pins"])
        state = pins[codes["nha-trang"]]["status"]
        by_status = ctx.request.get(f"{gateway.url}/admin/map.json?status={state}").json()
        assert codes["nha-trang"] in {p["code"] for p in by_status["pins"]}
        assert all(p["status"] == state for p in by_status["pins"])
        other = "rejected" if state != "rejected" else "forwarded"
        assert codes["nha-trang"] not in {p["code"] for p in ctx.request.get(
            f"{gateway.url}/admin/map.json?status={other}").json()["pins"]}  # fmt: skip
        bad = ctx.request.get(f"{gateway.url}/admin/map.json?channel=fax")
        assert bad.status == 400 and json.loads(bad.text())["error"] == "invalid-filter"
        past = ctx.request.get(f"{gateway.url}/admin/map.json?from=01/01/2020&to=31/01/2020").json()
        assert (past["matched"], past["pins"], past["communes"]) == (0, [], [])
        # Leaflet comes from the gateway itself, and only its own files.
        assert httpx.get(f"{gateway.url}/web/vendor/leaflet/leaflet.js", timeout=10).status_code == 200
        assert httpx.get(f"{gateway.url}/web/vendor/leaflet/..%2F..%2Fpackage.json", timeout=10).status_code == 404
        browser.close()


TILE = (0xC8, 0xDC, 0xF0)  # the stand-in tile server's one colour


class TileServer:
    """A tile server stand-in: every /{z}/{x}/{y}.png is one flat colour; it can be stopped mid-test."""

    def __init__(self) -> None:
        tile = solid_png(256, 256, TILE)
        served: list[str] = []
        self.served = served

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                served.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def tiled_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, TileServer, str]]:
    tiles = TileServer()
    data_dir: Path = tmp_path_factory.mktemp("map-tiles")
    port = free_port()
    env = gateway_env(
        data_dir, PORT=str(port), REDIS_URL=SYSTEM_REDIS, WEB_TRUSTED_PROXIES="127.0.0.1",
        OPEN311_API_KEYS=json.dumps({"mobile-app": OPEN311_KEY}),
        MAP_TILE_URL=tiles.origin + "/{z}/{x}/{y}.png", MAP_TILE_ATTRIBUTION="Bản đồ nền của tỉnh",
    )  # fmt: skip
    gateway = Gateway(data_dir, env, port)
    gateway.start_all()
    try:
        gateway.pakn("operators", "add", "bando", "--name", "Võ Bản Đồ", "--role", "supervisor",
                     "--password-stdin", input=f"{PASSWORD}\n".encode())  # fmt: skip
        code = open311(gateway, "nha-trang")
        normalized(gateway, code)
        yield gateway, tiles, code
    finally:
        gateway.stop()
        tiles.stop()


def test_tiles_come_from_the_configured_server_and_the_map_stands_without_them(
    tiled_gateway: tuple[Gateway, TileServer, str],
) -> None:
    gateway, tiles, _code = tiled_gateway
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        ctx = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 900},
                                  extra_http_headers={"X-Forwarded-For": "192.0.2.94"})  # fmt: skip
        page = ctx.new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        sign_in(page, gateway, "bando")
        answer = page.goto(f"{gateway.url}/admin/map")
        assert answer is not None
        assert f"img-src 'self' data: {tiles.origin};" in answer.headers["content-security-policy"]
        expect(page.locator("#no-tiles")).to_have_count(0)
        expect(page.locator("#map path.map-pin")).to_have_count(1)
        expect(page.locator("#map .leaflet-control-attribution")).to_contain_text("Bản đồ nền của tỉnh")
        expect(page.locator("#map img.leaflet-tile-loaded").first).to_be_visible()
        page.locator("#map").scroll_into_view_if_needed()
        expect(page.locator("#map img.leaflet-tile:not(.leaflet-tile-loaded)")).to_have_count(0)
        # Leaflet fades new tiles in: the screenshot waits until every tile is fully shown.
        page.wait_for_function(
            "() => [...document.querySelectorAll('#map img.leaflet-tile')]"
            ".every(t => t.complete && getComputedStyle(t).opacity === '1')"
        )

        def corner_and_pin() -> tuple[tuple[int, int, int], tuple[int, int, int]]:
            map_box = page.locator("#map").bounding_box()
            pin_box = page.locator("#map path.map-pin").bounding_box()
            assert map_box is not None and pin_box is not None
            shot = read_png(page.screenshot())
            corner = shot.pixel(round(map_box["x"] + 40), round(map_box["y"] + map_box["height"] - 40))
            pin = shot.pixel(round(pin_box["x"] + pin_box["width"] / 2), round(pin_box["y"] + pin_box["height"] / 2))
            return corner, pin

        corner, pin = corner_and_pin()
        assert near(corner, TILE, 6), corner  # the tiles drawn under everything
        assert near(pin, PIN_BLUE) or near(pin, PIN_ORANGE), pin
        assert tiles.served and all(p.endswith(".png") for p in tiles.served)
        # The tile server goes away: a reload still draws the pin and the commune, on the plain background.
        tiles.stop()
        page.reload()
        expect(page.locator("#map path.map-pin")).to_have_count(1)
        expect(page.locator("#map path.map-commune")).to_have_count(1)
        expect(page.locator("#map-status")).to_contain_text("1 phản ánh phù hợp")
        page.locator("#map").scroll_into_view_if_needed()
        corner, pin = corner_and_pin()
        assert near(corner, BACKGROUND, 6), corner
        assert near(pin, PIN_BLUE) or near(pin, PIN_ORANGE), pin
        assert not refused, refused  # the tiles were allowed, Leaflet's own styles too
        browser.close()
