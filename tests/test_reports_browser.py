"""The interactive page in a real browser (headless Chromium through Selenium): it loads from disk
with no console error and no network request, every chart draws its series, and hover, legend,
brush, parallel coordinates and table sorting do what docs/reports.md says."""
from __future__ import annotations

import textwrap
import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from benchmarks.probes.report_page import LOCAL_SCHEMES, chromium, open_page, requests
from browser import count, drag, rect
from experiments.cli import main as experiments_main
from reports.build import build
from synthetic_results import make_results
from test_reports_search_automatic import SPEC as SEARCHED_SPEC

pytestmark = pytest.mark.slow  # a report build, a sweep and a browser: about half a minute

# The user spec of test_reports_search_automatic (8 trials of lr on 3 epochs of sin-cos), as "tuned".
SEARCHED = SEARCHED_SPEC.replace('name = "mine"', 'name = "tuned"')
TRIALS = 8
WIDTHS = 4  # the synthetic width study: 10, 20, 50 and 100 units, training and validation


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """A report of the synthetic width study and a small searched study, built once."""
    root = tmp_path_factory.mktemp("browser")
    results = make_results(root / "results", studies=("width",))
    spec = root / "tuned.toml"
    spec.write_text(textwrap.dedent(SEARCHED))
    assert experiments_main(["sweep", str(spec), "--results", str(results), "--quiet"]) == 0
    report = build(results, root / "out", studies=["width", str(spec)], peers=False)
    return report.out / "index.html"


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture
def loaded(browser, page):
    open_page(browser, page)
    return browser


def chart_of(driver, title: str) -> str:
    """The id of the chart whose title starts with ``title``."""
    return driver.execute_script(
        "return [...document.querySelectorAll('div.chart')].find(d => [...d.querySelectorAll("
        "'.role-title-text')].some(t => t.textContent.startsWith(arguments[0]))).id", title)


def opaque_lines(driver, chart: str, layer: str) -> int:
    return driver.execute_script(
        "return [...document.getElementById(arguments[0]).querySelectorAll("
        "`g.mark-line[class*='${arguments[1]}'] path`)].filter(p => "
        "parseFloat(p.getAttribute('opacity') ?? '1') > 0.5).length", chart, layer)


def test_the_page_loads_from_disk_with_no_console_error_or_warning_and_no_network_request(browser, page):
    open_page(browser, page)
    logged = browser.get_log("browser")
    assert [entry["message"] for entry in logged if entry["level"] == "SEVERE"] == []
    # Vega's own warnings (a spec it had to correct, e.g. a zero-based log scale) are bugs too
    assert [entry["message"] for entry in logged if '"WARN"' in entry["message"]] == []
    asked = requests(browser)
    assert any(url.startswith("file:") for url in asked)  # the log does record requests
    assert [url for url in asked if not url.startswith(LOCAL_SCHEMES)] == []


def test_every_chart_draws_its_series(loaded):
    curves = chart_of(loaded, "width: loss against epoch")
    assert count(loaded, "g.mark-line[class*='p0_mean'] path", curves) == WIDTHS * 2
    seconds = chart_of(loaded, "width: loss against training time")
    for panel in ("p0", "p1"):  # training, validation
        assert count(loaded, f"g.mark-line[class*='{panel}_mean'] path", seconds) == WIDTHS
    trials = chart_of(loaded, "Every trial")
    assert count(loaded, "g.mark-line[class*='p0_lines'] path", trials) == TRIALS
    axes = chart_of(loaded, "The objective against each nuisance")
    assert count(loaded, "g.mark-symbol[class*='p0_trials'] path", axes) == TRIALS


def test_hovering_a_point_shows_its_configuration(loaded):
    curves = chart_of(loaded, "width: loss against epoch")
    point = loaded.find_element(By.ID, curves).find_elements(
        By.CSS_SELECTOR, "g.mark-symbol[class*='p0_hover'] path")[3]
    ActionChains(loaded).move_to_element(point).perform()
    time.sleep(0.3)
    tooltip = loaded.find_element(By.ID, "vg-tooltip-element")
    assert "visible" in tooltip.get_attribute("class")
    assert "configuration" in tooltip.text and "units" in tooltip.text and "seeds" in tooltip.text


def test_hovering_a_trial_names_its_grid_point_and_lr(loaded):
    axes = chart_of(loaded, "The objective against each nuisance")
    point = loaded.find_element(By.ID, axes).find_elements(
        By.CSS_SELECTOR, "g.mark-symbol[class*='p0_trials'] path")[0]
    ActionChains(loaded).move_to_element(point).perform()
    time.sleep(0.3)
    text = loaded.find_element(By.ID, "vg-tooltip-element").text
    assert "grid point" in text and "trial" in text and "lr" in text


def test_a_legend_click_hides_the_other_series(loaded):
    curves = chart_of(loaded, "width: loss against epoch")
    assert opaque_lines(loaded, curves, "p0_mean") == WIDTHS * 2
    label = next(text for text in loaded.find_element(By.ID, curves).find_elements(
        By.CSS_SELECTOR, ".role-legend-label text") if text.text == "10 units")
    ActionChains(loaded).move_to_element(label).click().perform()
    time.sleep(0.3)
    assert opaque_lines(loaded, curves, "p0_mean") == 2  # 10 units: training and validation


def test_a_brush_on_one_panel_narrows_the_linked_one(loaded):
    seconds = chart_of(loaded, "width: loss against training time")
    assert count(loaded, "g.mark-line[class*='p1_bold'] path", seconds) == 0
    panel = rect(loaded, "g[class*='p0_mean'] path", seconds)
    middle = panel["y"] + panel["height"] / 2
    drag(loaded, (panel["x"] + 0.1 * panel["width"], middle), (panel["x"] + 0.75 * panel["width"], middle))
    time.sleep(0.3)
    widths = loaded.execute_script(
        "return [...document.getElementById(arguments[0]).querySelectorAll("
        "\"g.mark-line[class*='p1_bold'] path\")].map(p => p.getBBox().width)", seconds)
    full = loaded.execute_script(
        "return Math.max(...[...document.getElementById(arguments[0]).querySelectorAll("
        "\"g.mark-line[class*='p1_mean'] path\")].map(p => p.getBBox().width))", seconds)
    assert len(widths) == WIDTHS and 0 < max(widths) < 0.8 * full


def test_a_brush_on_an_axis_of_the_parallel_coordinates_reduces_the_lines(loaded):
    trials = chart_of(loaded, "Every trial")
    ticks = rect(loaded, "g[class*='p0_axis']", trials)
    x = ticks["x"] + ticks["width"] / 2
    drag(loaded, (x, ticks["y"] - 2), (x, ticks["y"] + ticks["height"] / 2))
    time.sleep(0.3)
    shown = count(loaded, "g.mark-line[class*='p0_lines'] path", trials)
    assert 0 < shown < TRIALS
    assert count(loaded, "g.mark-line[class*='p0_grey'] path", trials) == TRIALS  # the rest, grey


def test_a_table_sorts_by_a_clicked_column(loaded):
    table = loaded.find_element(By.CSS_SELECTOR, "section#width table.data")
    headers = table.find_elements(By.CSS_SELECTOR, "thead th")
    column = next(i for i, th in enumerate(headers) if th.text.startswith("final train loss"))
    def values():
        return [float(row.find_elements(By.TAG_NAME, "td")[column].text.split()[0])
                for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
    headers[column].click()
    assert values() == sorted(values())
    headers[column].click()
    assert values() == sorted(values(), reverse=True)
