"""The review UI in a real browser: Debian's chromium driven by Playwright against the real app.

uvicorn serves the real app (shipped X-ray model, SQLite and blobs in a temp dir) on a free loopback port. A
3000x1000 16-bit dual-energy scan from the generator is posted through POST /v1/scans for a declaration filed
through POST /v1/declarations; a rule set uploaded through POST /v1/rules sends every analysed scan to an expert,
so the case exists whatever the current detector decides. The expert key is made with the real CLI.

Screenshots and the page-load time go to test-artifacts/review/ (the time is reported in docs/review.md, not
asserted). Skips with the reason when chromium or playwright is absent (a user's machine); CI has both.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from smartinspect.config import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed (scripts/setup.sh installs Debian's chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (it is in the dev extra)")
expect = sync_api.expect

ARTIFACTS = REPO_ROOT / "test-artifacts" / "review"
MODELS_DIR = Path(os.environ.get("SMARTINSPECT_TEST_MODELS_DIR", REPO_ROOT / "models"))
NUMBER = "224820261000000777"
RULES = """schema: 1
name: e2e-review
seed: e2e-review
rules:
  - id: xray-expert-review
    description: Every analysed scan goes to an expert (browser test rule set)
    when: finding.xray.verdict >= CLEAR
    channel: yellow
    instructions:
      - {kind: image_review, priority: 2, focus: finding}
"""
SCAN_SIZE = (1000, 3000)  # rows, columns: a 40 ft container at 5 mm/px, 5 m of beam height


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(env: dict[str, str], *args: str) -> str:
    code = "from smartinspect.cli import app; app(prog_name='smartinspect')"
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120,
                          check=True)
    return done.stdout.strip().splitlines()[0]


def _wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the server was not ready within {timeout_s} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real app under uvicorn in a subprocess; yields its URL, data dir and environment."""
    data_dir = tmp_path_factory.mktemp("review-e2e")
    env = {**os.environ, "SMARTINSPECT_DATA_DIR": str(data_dir), "SMARTINSPECT_DATABASE_URL": "",
           "SMARTINSPECT_ENVIRONMENT": "test", "SMARTINSPECT_ONNX_WARMUP": "false",
           "SMARTINSPECT_MODELS_DIR": str(MODELS_DIR), "SMARTINSPECT_MODEL_RELOAD_POLL_S": "0"}
    port = _free_port()
    log = data_dir / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "smartinspect.api.app:create_app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--timeout-graceful-shutdown", "3"],
            env=env, cwd=data_dir, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log)
        yield {"url": url, "data_dir": data_dir, "env": env}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _keys(server) -> dict[str, str]:
    from smartinspect.storage.apikeys import create_api_key
    from smartinspect.storage.db import make_engine, make_session_factory

    keys = {"expert": _cli(server["env"], "keys", "create", "--name", "e2e expert", "--role", "expert")}
    engine = make_engine(f"sqlite:///{server['data_dir'] / 'smartinspect.db'}")
    with make_session_factory(engine)() as session:
        for role in ("scanner", "officer", "admin"):
            keys[role] = create_api_key(session, name=f"e2e {role}", role=role)[1]
        session.commit()
    engine.dispose()
    return keys


def _scan_3000x1000():
    """A generated 40 ft scan with a concealed compartment, padded with open beam to exactly 3000x1000."""
    from smartinspect.xray.datagen import XrayGenConfig, generate_scan

    scan = generate_scan(np.random.default_rng(1), XrayGenConfig(scan_height_mm=5000.0), container="40ft",
                         force_empty=False, force_threats=["concealment"])
    rows, cols = SCAN_SIZE
    assert scan.high.shape[0] == rows and scan.high.shape[1] <= cols, scan.high.shape

    def fit(image: np.ndarray) -> np.ndarray:
        return np.pad(image, ((0, 0), (0, cols - image.shape[1])), mode="edge")  # the edge column is open beam

    return scan, fit(scan.high), fit(scan.low)


def _png(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    assert ok
    return buf.tobytes()


@pytest.fixture(scope="module")
def review_case(server):
    """Rules, a REVIEW-able scan, the declaration: one open image_review case. Returns the case facts and keys."""
    from smartinspect.clearance.synthetic import example_declaration

    keys = _keys(server)
    api = httpx.Client(base_url=server["url"], timeout=120)
    rules = api.post("/v1/rules", content=RULES, headers={"X-API-Key": keys["admin"],
                                                          "Content-Type": "application/yaml"})
    assert rules.status_code == 201, rules.text
    scan, high, low = _scan_3000x1000()
    files = {"image": ("scan.png", _png(high), "image/png"), "image_low": ("low.png", _png(low), "image/png")}
    data = {"scanner_id": "portal-3", "container_no": scan.manifest["container_no"],
            "scanned_at": "2026-11-23T08:00:00Z", "declaration_no": NUMBER}
    posted = api.post("/v1/scans", files=files, data=data, headers={"X-API-Key": keys["scanner"]})
    assert posted.status_code == 201, posted.text
    declared = api.post("/v1/declarations", json=example_declaration(NUMBER), headers={"X-API-Key": keys["officer"]})
    assert declared.status_code == 201, declared.text
    queue = api.get("/v1/review/cases", headers={"X-API-Key": keys["expert"]}).json()
    (case,) = [c for c in queue["items"] if c["declaration_no"] == NUMBER]
    yield {"case": case, "scan": posted.json(), "keys": keys, "api": api, "high": high}
    api.close()


def _canvas(page) -> bytes:
    return page.locator("#viewer").screenshot()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _ready_ms(page) -> float:
    page.wait_for_selector("body[data-viewer-ready-ms]", state="attached", timeout=60_000)
    return float(page.get_attribute("body", "data-viewer-ready-ms"))


def test_expert_reviews_a_3000x1000_scan_in_the_browser(server, review_case):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    keys, case_id = review_case["keys"], review_case["case"]["id"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        # another role cannot open the UI
        page.goto(f"{server['url']}/review/login")
        page.fill("#api_key", keys["officer"])
        page.click("button[type=submit]")
        assert "cannot open the expert review UI" in page.inner_text("[data-testid=error-message]")
        _shot(page, "00-officer-refused.png")

        # the expert logs in and finds the case in the queue
        page.goto(f"{server['url']}/review/login")
        page.fill("#api_key", keys["expert"])
        page.click("button[type=submit]")
        page.wait_for_url("**/review/queue")
        row = page.locator(f"tr[data-case-id='{case_id}']")
        assert row.count() == 1 and "issued" in row.inner_text()
        _shot(page, "01-queue.png")

        # open the case: the 16-bit scan renders at full resolution (first open, then a reload)
        row.locator("[data-testid=open-case]").click()
        first_ms = _ready_ms(page)  # includes the server's one-time start-up work (templates, imports)
        transfer = page.evaluate("() => performance.getEntriesByType('resource')"
                                 ".filter(e => e.name.includes('/scan/pixels')).map(e => e.encodedBodySize)[0]")
        # another expert's browser (empty cache, same session) opening it on the running server
        other = browser.new_context(storage_state=page.context.storage_state(), viewport={"width": 1400,
                                                                                          "height": 1000})
        other_page = other.new_page()
        other_page.goto(page.url)
        fresh_ms = _ready_ms(other_page)
        other.close()
        page.reload()
        reload_ms = _ready_ms(page)
        assert page.inner_text("[data-testid=instruction-status]") == "issued"
        _shot(page, "02-case.png")

        # overlays and window/level change what is drawn
        base = _canvas(page)
        boxes = page.locator("#box-list tbody tr").count()
        assert boxes == len(review_case["scan"]["findings"])
        page.uncheck("#toggle-boxes")
        if boxes:
            assert _canvas(page) != base, "hiding the detection boxes should change the canvas"
        page.check("#toggle-boxes")
        page.check("#toggle-materials")
        page.wait_for_selector("body[data-materials-ready]", state="attached")
        with_materials = _canvas(page)
        assert with_materials != base, "the material-colour overlay should change the canvas"
        _shot(page, "03-materials.png")
        page.uncheck("#toggle-materials")
        page.fill("#wl-width", "3000")
        page.fill("#wl-level", "20000")
        assert page.inner_text("#wl-width-out") == "3000" and page.inner_text("#wl-level-out") == "20000"
        assert _canvas(page) != base, "a narrow window should change the canvas"
        _shot(page, "04-window.png")
        page.click("#wl-auto")

        # claim, draw a box on the canvas, escalate
        page.click("[data-testid=claim]")
        expect(page.locator("#assignee")).to_contain_text("e2e expert")  # selector polling: the CSP forbids eval
        page.click("#draw-box")
        page.select_option("#draw-class", "concealment")
        frame = page.locator("#viewer").bounding_box()
        x0, y0 = frame["x"] + frame["width"] * 0.40, frame["y"] + frame["height"] * 0.55
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x0 + 60, y0 + 30, steps=5)
        page.mouse.up()
        rows = page.locator("#box-list tbody tr")
        assert rows.count() == boxes + 1 and "expert" in rows.nth(boxes).inner_text()
        assert rows.nth(boxes).locator("select").input_value() == "concealment"
        _shot(page, "05-box-drawn.png")
        page.check("input[name=decision][value=escalate]")
        page.fill("[data-testid=comment]", "Dense block under the cartons; open the container there.")
        page.click("[data-testid=submit-decision]")
        expect(page.locator("[data-testid=instruction-status]")).to_have_text("completed: discrepancy")
        assert "physical_inspection" in page.inner_text("[data-testid=follow-up]")
        _shot(page, "06-decided.png")
        chromium_version = browser.version
        browser.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"

    # what the decision did, seen through the API and on disk
    detail = review_case["api"].get(f"/v1/review/cases/{case_id}",
                                    headers={"X-API-Key": keys["expert"]}).json()
    decision = detail["decision"]
    assert decision["decision"] == "escalate" and decision["result"] == "discrepancy"
    drawn = decision["corrections"]["boxes"][-1]["box"]
    example = server["data_dir"] / "feedback" / decision["label"]["path"]
    annotation = json.loads((example / "annotation.json").read_text())
    assert annotation["boxes"][-1] == {"class_name": "concealment", "box": [round(v, 1) for v in drawn]}
    assert annotation["corrected"] is True
    focus = review_case["api"].get(f"/v1/instructions/{decision['follow_up_instruction_id']}",
                                   headers={"X-API-Key": keys["officer"]})
    assert focus.status_code == 200, focus.text
    assert focus.json()["focus"]["areas"][-1]["box"] == [round(v, 1) for v in drawn]
    assert np.array_equal(cv2.imread(str(example / "image.png"), cv2.IMREAD_UNCHANGED), review_case["high"])

    timings = {
        "what": "case page, navigation start -> the viewer's first full render (window.__viewerReady)",
        "scan": {"width": SCAN_SIZE[1], "height": SCAN_SIZE[0], "bit_depth": 16, "dual_energy": True,
                 "verdict": review_case["scan"]["verdict"]},
        "first_open_after_server_start_ms": round(first_ms, 1), "open_in_a_fresh_browser_ms": round(fresh_ms, 1),
        "reload_ms": round(reload_ms, 1),
        "pixels_bytes_on_the_wire": transfer, "goal_ms": 1000,
        "chromium": chromium_version, "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2), "machine": platform.platform(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
