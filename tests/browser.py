"""Headless Chromium for the page's browser tests, driven by Selenium through Debian's chromedriver
(nothing is downloaded: Selenium is pointed at /usr/bin/chromedriver and /usr/bin/chromium, which
`.ci/run` installs with apt-get when they are missing): the pointer's helpers here, the launcher
in ``benchmarks.probes.report_page``. A fixture module, not a test file."""
from __future__ import annotations

from selenium import webdriver
from selenium.webdriver.common.actions.action_builder import ActionBuilder


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
