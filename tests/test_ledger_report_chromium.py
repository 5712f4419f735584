"""The ledger dashboard in a real browser: headless Chromium lays out the page of a real
ledger, the screenshot shows each chart's bars in its own colour, one region per bar of the
data, in page order, and the DOM after load holds every labelled chart and no injected
element. The screenshot is left in test-artifacts/ for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import run_gatecheck
from ledger_report_support import build_ledger
from png_support import components, hex_colour, read_png
from test_html_chromium import ARTIFACTS, needs_chromium, run_chromium

from gatecheck.engine.ledger.report_html import (
    COLOURS,
    NOT_PASSED_COLOUR,
    RATE_COLOUR,
    RECOVERY_COLOUR,
)

BAR = 400
"""Smallest bar area in pixels: the legend swatches (12 x 12) stay below it."""

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dashboard-chromium")
    url, _ = build_ledger(root)
    out = root / "dashboard.html"
    proc = run_gatecheck("ledger", "report", "--ledger", url, "--html", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def test_the_screenshot_shows_every_chart_with_its_bars(page: Path, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "ledger-dashboard.png"
    shot.unlink(missing_ok=True)
    proc = run_chromium(
        tmp_path / "profile", "--window-size=1000,3600", "--force-device-scale-factor=1",
        "--hide-scrollbars", f"--screenshot={shot}", page.as_uri(),
    )  # fmt: skip
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    image = read_png(shot)

    def bars(colour: str) -> list[tuple[int, int, int, int, int]]:
        return components(image, hex_colour(colour), BAR)

    # decisions per stage per day: pass at dev 03-02 and staging 03-03; fail at staging
    # 03-02 (two evaluations) and 03-04, production 03-04
    passes, fails = bars(COLOURS["pass"]), bars(COLOURS["fail"])
    assert len(passes) == 2 and len(fails) == 3, (passes, fails)
    # components run top first: the staging chart's two fail bars come before production's
    staging_two, staging_one, _ = fails
    staging_pass = passes[1]
    assert staging_two[3] == staging_one[3] == staging_pass[3]  # one baseline: one chart
    # the bar of two evaluations is twice the height of a bar of one, in the same chart
    assert staging_two[3] - staging_two[1] + 1 == pytest.approx(
        2 * (staging_pass[3] - staging_pass[1] + 1), abs=2
    )
    assert staging_one[3] - staging_one[1] == staging_pass[3] - staging_pass[1]
    assert staging_one[0] > staging_pass[0] > staging_two[0]  # days left to right
    # failure rate: one bar per control that failed at least once, widest first
    rates = bars(RATE_COLOUR)
    assert len(rates) == len(_failing_controls(page)) == 21
    widths = [r[2] - r[0] for r in rates]
    assert widths == sorted(widths, reverse=True) and widths[0] > 3 * widths[-1]
    # time to pass: one release-stage pair in 1-3 d, two never passed
    recovered, pending = bars(RECOVERY_COLOUR), bars(NOT_PASSED_COLOUR)
    assert len(recovered) == 1 and len(pending) == 1
    assert pending[0][3] - pending[0][1] == pytest.approx(
        2 * (recovered[0][3] - recovered[0][1]), abs=2
    )
    # in page order: decisions above failure rates above time to pass
    assert max(b[3] for b in passes + fails) < rates[0][1]
    assert rates[-1][3] < min(recovered[0][1], pending[0][1])


def _failing_controls(page: Path) -> set[str]:
    """The controls drawn in the failure-rate chart, read from its table of numbers."""
    text = page.read_text(encoding="utf-8")
    section = text.split('id="failure-rates"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr><td><code>([^<]+)</code></td><td[^>]*>\d+</td><td[^>]*>(\d+)</td>",
                      section)  # fmt: skip
    return {control for control, failed in rows if int(failed) > 0}


def test_the_dom_after_load_has_labelled_charts_and_no_injected_markup(
    page: Path, tmp_path: Path
) -> None:
    proc = run_chromium(tmp_path / "profile", "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    svgs = re.findall(r'<svg id="(chart-[^"]+)"[^>]*role="img"[^>]*aria-labelledby="([^"]+)"', dom)
    assert len(svgs) == 5
    for chart, labels in svgs:
        assert labels == f"{chart}-t {chart}-d"
        assert f'<title id="{chart}-t">' in dom and f'<desc id="{chart}-d">' in dom
    # the release named <script>alert(1)</script> stayed text: no script element was parsed
    assert "<script" not in dom and "&lt;script&gt;alert(1)&lt;/script&gt;@1.4.0" in dom
