"""The report of the bundled sample as a reader's browser shows it: headless Chromium (Debian's package).

Chromium is driven through the DevTools protocol over ``--remote-debugging-pipe`` (JSON messages ending in a
NUL byte on file descriptors 3 and 4), with nothing but the standard library. Every request the page makes
is recorded; the browser's resolver and proxy refuse every host, so a page that tried to fetch a script
would also log an error. Outside CI the test is skipped when Chromium is missing; in CI (``CI`` set, as
``.ci/run`` sets it) a missing Chromium fails it: ``.ci/chromium.sh`` installs it.
"""

import base64
import io
import json
import os
import re
import shutil
import subprocess
import time

import numpy as np
import pytest

from journey.report.run import run_report

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)

if CHROMIUM is None and not os.environ.get("CI"):
    pytest.skip("Chromium is not installed (bash .ci/chromium.sh installs it)", allow_module_level=True)


class DevTools:
    """A headless Chromium and its DevTools protocol over a pipe: commands, and the events they cause."""

    def __init__(self, binary, width=1100, height=1400):
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()

        def as_fds_3_and_4():  # Chromium reads commands on fd 3 and writes replies on fd 4
            os.dup2(commands_read, 3)
            os.dup2(replies_write, 4)

        flags = [
            "--headless",
            "--remote-debugging-pipe",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            # No host resolves and every proxied request fails: nothing can be fetched from the network.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            f"--window-size={width},{height}",
            "--user-data-dir=" + os.environ.get("TMPDIR", "/tmp") + f"/journey-chromium-{os.getpid()}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags.append("--no-sandbox")  # Chromium's sandbox refuses to run as root (CI containers)
        self.process = subprocess.Popen(
            [binary, *flags, "about:blank"],
            pass_fds=(3, 4),
            preexec_fn=as_fds_3_and_4,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(commands_read)
        os.close(replies_write)
        self._buffer = b""
        self._id = 0
        self.events = []
        self.session = None

    def send(self, method, timeout=60, **params):
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if self.session is not None:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._read()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(method)

    def wait_for(self, method, timeout=60):
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            self.events.append(self._read())

    def _read(self):
        while b"\0" not in self._buffer:
            chunk = os.read(self._replies, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self):
        try:
            self.session = None
            self.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The sample report opened in Chromium: what loaded, what the console said, the text, a screenshot."""
    assert CHROMIUM is not None, "Chromium is missing: run bash .ci/chromium.sh (Debian's chromium package)"
    out = run_report(out=tmp_path_factory.mktemp("browser") / "report", progress=False)
    browser = DevTools(CHROMIUM)
    try:
        target = browser.send("Target.createTarget", url="about:blank")["targetId"]
        browser.session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            browser.send(f"{domain}.enable")
        browser.send("Page.navigate", url=(out / "report.html").as_uri())
        browser.wait_for("Page.loadEventFired")
        facts = browser.send(
            "Runtime.evaluate",
            returnByValue=True,
            expression="""({
                images: [...document.images].map(i => ({alt: i.getAttribute('alt'), width: i.naturalWidth,
                                                        complete: i.complete})),
                text: document.body.innerText,
                title: document.title,
                height: document.documentElement.scrollHeight,
                width: document.documentElement.scrollWidth,
            })""",
        )["result"]["value"]
        shot = browser.send("Page.captureScreenshot", format="png")["data"]
        events = list(browser.events)
    finally:
        browser.close()
    return {"facts": facts, "events": events, "screenshot": base64.b64decode(shot), "out": out}


def test_the_report_makes_no_network_request(page):
    requests = [e["params"]["request"]["url"] for e in page["events"] if e.get("method") == "Network.requestWillBeSent"]
    assert requests, "the page's own load is a request: the recording works"
    fetched = [url for url in requests if not url.startswith(("file:", "data:"))]
    assert fetched == []
    failed = [e["params"] for e in page["events"] if e.get("method") == "Network.loadingFailed"]
    assert failed == []


def test_the_console_stays_silent(page):
    errors = [
        e["params"]
        for e in page["events"]
        if e.get("method") == "Runtime.exceptionThrown"
        or (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "warning", "assert"))
        or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] in ("error", "warning"))
    ]
    assert errors == []


def test_the_report_shows_at_least_five_described_pictures(page):
    images = page["facts"]["images"]
    assert len(images) >= 5
    assert all(i["complete"] and i["width"] > 300 for i in images), images  # decoded and drawn
    assert all(i["alt"] and len(i["alt"]) > 30 and "No description" not in i["alt"] for i in images)


def test_the_report_text_has_a_title_and_no_long_raw_floats(page):
    facts = page["facts"]
    assert facts["title"] == "Customer journeys: events.csv.gz"
    assert facts["text"].startswith("Customer journeys: events.csv.gz")
    assert "Summary" in facts["text"] and "95% CI" in facts["text"]
    assert re.findall(r"\d\.\d{3,}", facts["text"]) == []
    assert facts["width"] <= 1100  # nothing runs off the page sideways


def test_the_screenshot_is_not_blank(page):
    from PIL import Image

    pixels = np.asarray(Image.open(io.BytesIO(page["screenshot"])).convert("L"), dtype=float)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    assert pixels.std() > 20  # text and pictures, not an empty or one-colour page
    assert (pixels < 100).mean() > 0.01  # dark ink: the title and text are drawn
