"""How large a built report's folder is and how long its page takes to load in headless Chromium
(from file://, every chart rendered), with its console errors and network requests, which must be
none. Measures a folder built beforehand (``python -m reports build --out DIR``); builds nothing.

    python -m benchmarks.probes.report_page reports/out [--loads 3]

Also the launcher of the report's browser tests (tests/browser.py): Debian's chromium through its
chromedriver, nothing downloaded.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
LAPTOP = (1366, 768)
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def chromium():
    """A fresh headless Chromium at a laptop's width, logging the console and the network."""
    from selenium import webdriver  # a dev dependency: imported when a browser is wanted
    from selenium.webdriver.chrome.service import Service

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


def open_page(driver, page: Path, timeout: float = 30.0) -> float:
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


def requests(driver) -> list[str]:
    """The URLs the page asked for since the last call (the performance log)."""
    messages = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
    return [m["params"]["request"]["url"] for m in messages if m["method"] == "Network.requestWillBeSent"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probes.report_page",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a built report's folder (holds index.html)")
    parser.add_argument("--loads", type=int, default=3, help="page loads to time (default 3)")
    args = parser.parse_args(argv)
    files = [path for path in args.folder.rglob("*") if path.is_file()]
    print(f"{args.folder}: {sum(p.stat().st_size for p in files):,} bytes in {len(files)} files; "
          f"index.html {(args.folder / 'index.html').stat().st_size:,} bytes")
    driver = chromium()
    try:
        for load in range(args.loads):
            seconds = open_page(driver, args.folder / "index.html")
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            outside = [url for url in requests(driver) if not url.startswith(LOCAL_SCHEMES)]
            charts = driver.execute_script("return Object.keys(window.nnstudyCharts).length")
            print(f"load {load + 1}: {charts} charts rendered {seconds:.2f} s after navigation; "
                  f"console errors {len(errors)}; network requests {len(outside)}")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
