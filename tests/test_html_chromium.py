"""The HTML report in a real browser: headless Chromium renders it, shows every control,
filters by status, makes no network request, and leaves screenshots in test-artifacts/ for a
person to look at. Interactive checks drive Chromium through Selenium and chromedriver; the
plain check needs Chromium alone."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from formats_support import realistic

from gatecheck.engine.formats import render

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM, reason="headless Chromium is not installed (Debian: apt-get install chromium)"
)
needs_driver = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="chromedriver is not installed (Debian: apt-get install chromium chromium-driver)",
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(CHROMIUM), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


@needs_chromium
def test_plain_headless_chromium_renders_a_filtered_link(page, tmp_path: Path) -> None:
    """Without a driver: Chromium's own --dump-dom after the page's script applied the status
    filter from the link, and --screenshot for a person to look at."""
    path, report = page
    proc = run_chromium(tmp_path / "profile", "--dump-dom", path.as_uri() + "#status=fail")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    rows = []
    for attrs in re.findall(r"<tr ([^>]*data-status=[^>]*)>", dom):
        control = re.search(r'data-control="([^"]+)"', attrs)
        rows.append(("hidden" in attrs, "", control.group(1) if control else ""))
    assert {c for _, _, c in rows} == {r["control"] for r in report["results"]}
    shown = sorted(c for hidden, _, c in rows if not hidden)
    assert shown == sorted(r["control"] for r in report["results"] if r["status"] == "fail")
    assert f'<b id="shown">{len(shown)}</b>' in dom
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-html-chromium.png"
    proc = run_chromium(
        tmp_path / "profile2", "--window-size=1400,1800", f"--screenshot={shot}", path.as_uri()
    )
    assert proc.returncode == 0 and shot.stat().st_size > 10_000, proc.stderr[-2000:]


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    report, _, catalog = realistic()
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render(report, "html", catalog=catalog), encoding="utf-8")
    return path, report


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    # An explicit driver path: Selenium Manager would otherwise try to download one.
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


def visible_rows(driver: Any) -> list[Any]:
    from selenium.webdriver.common.by import By

    rows = driver.find_elements(By.CSS_SELECTOR, "#controls tbody tr")
    return [row for row in rows if row.is_displayed()]


def choose(driver: Any, status: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, "status-filter")).select_by_value(status)


@needs_driver
def test_report_renders_with_every_control_and_makes_no_request(browser, page) -> None:
    from selenium.webdriver.common.by import By

    path, report = page
    browser.get_log("performance")  # drop what the browser loaded at start (its new tab page)
    browser.get(path.as_uri())
    assert browser.find_element(By.ID, "decision").text == "FAIL"
    assert "payments-api@2.4.0" in browser.title
    rows = visible_rows(browser)
    assert {row.get_attribute("data-control") for row in rows} == {
        r["control"] for r in report["results"]
    }
    assert browser.find_element(By.ID, "shown").text == str(len(report["results"]))
    # every request the page made: only the file itself (no fonts, scripts or beacons);
    # the browser's own pages (chrome://) load in parallel and are not the report's
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            if params.get("documentURL", "").startswith("file://"):
                urls.append(params["request"]["url"])
    assert urls == [path.as_uri()], urls
    # the inline style and script ran under the page's Content-Security-Policy
    problems = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not problems, problems
    width = browser.execute_script("return document.body.scrollWidth")
    assert browser.find_element(By.ID, "status-filter").is_displayed() and width > 0
    ARTIFACTS.mkdir(exist_ok=True)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1400, min(int(height) + 120, 6000))
    assert browser.save_screenshot(str(ARTIFACTS / "report-html.png"))
    browser.set_window_size(1400, 1000)


@needs_driver
def test_status_filter_shows_only_the_chosen_status(browser, page) -> None:
    from selenium.webdriver.common.by import By

    path, report = page
    browser.get(path.as_uri())
    for status in ("fail", "warn", "waived", "not_applicable", "pass"):
        choose(browser, status)
        rows = visible_rows(browser)
        expected = [r["control"] for r in report["results"] if r["status"] == status]
        assert sorted(row.get_attribute("data-control") for row in rows) == sorted(expected)
        assert browser.find_element(By.ID, "shown").text == str(len(expected))
    choose(browser, "fail")
    browser.execute_script("document.querySelector('.filters').scrollIntoView()")
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "report-html-failed-only.png"))
    choose(browser, "all")
    assert len(visible_rows(browser)) == len(report["results"])


@needs_driver
def test_search_and_link_to_a_filtered_view(browser, page) -> None:
    from selenium.webdriver.common.by import By

    path, report = page
    browser.get(path.as_uri() + "#status=waived")
    waived = [r["control"] for r in report["results"] if r["status"] == "waived"]
    assert [row.get_attribute("data-control") for row in visible_rows(browser)] == waived
    choose(browser, "all")
    target = report["results"][0]["control"]
    browser.find_element(By.ID, "search").send_keys(target)
    assert [row.get_attribute("data-control") for row in visible_rows(browser)] == [target]
