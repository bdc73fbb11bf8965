"""Headless Chromium for the page's browser tests, driven by Selenium through Debian's chromedriver
(nothing is downloaded: Selenium is pointed at /usr/bin/chromedriver and /usr/bin/chromium, which
`.ci/run` installs with apt-get when they are missing). A fixture module, not a test file."""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.actions.action_builder import ActionBuilder

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
LAPTOP = (1366, 768)
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def chromium() -> webdriver.Chrome:
    """A fresh headless Chromium at a laptop's width, logging the console and the network."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        raise RuntimeError(f"{', '.join(missing)} missing: apt-get install -y chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='nnstudy-chromium-')}",
                 f"--window-size={LAPTOP[0]},{LAPTOP[1]}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def open_page(driver: webdriver.Chrome, page: Path, timeout: float = 30.0) -> float:
    """Load ``page`` from disk after a blank page (so the logs hold this page only) and wait
    until every chart has rendered; returns the seconds that took."""
    driver.get("about:blank")
    driver.get_log("browser"), driver.get_log("performance")
    start = time.perf_counter()
    driver.get(page.resolve().as_uri())
    script = ("return document.querySelectorAll('div.chart').length === "
              "Object.keys(window.nnstudyCharts || {}).length")
    while not driver.execute_script(script):
        if time.perf_counter() - start > timeout:
            raise TimeoutError(f"charts of {page} not rendered after {timeout} s")
        time.sleep(0.05)
    return time.perf_counter() - start


def requests(driver: webdriver.Chrome) -> list[str]:
    """The URLs the page asked for since the last call (the performance log)."""
    messages = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
    return [m["params"]["request"]["url"] for m in messages if m["method"] == "Network.requestWillBeSent"]


def count(driver: webdriver.Chrome, selector: str, within: str = "") -> int:
    """How many elements match ``selector`` (inside the element with id ``within``, if given)."""
    root = f"document.getElementById('{within}')" if within else "document"
    return driver.execute_script(f"return {root}.querySelectorAll(arguments[0]).length", selector)


def rect(driver: webdriver.Chrome, selector: str, within: str) -> dict:
    """The viewport rectangle (x, y, width, height) of the first element matching ``selector``."""
    return driver.execute_script(
        "const e = document.getElementById(arguments[1]).querySelector(arguments[0]);"
        "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
        "return {x: r.x, y: r.y, width: r.width, height: r.height};", selector, within)


def drag(driver: webdriver.Chrome, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Press at ``start``, move to ``end`` in a few steps, release (viewport pixels)."""
    actions = ActionBuilder(driver)
    pointer = actions.pointer_action.move_to_location(int(start[0]), int(start[1])).pointer_down()
    for share in (0.3, 0.6, 1.0):
        pointer.move_to_location(int(start[0] + share * (end[0] - start[0])),
                                 int(start[1] + share * (end[1] - start[1])))
    pointer.pointer_up()
    actions.perform()
