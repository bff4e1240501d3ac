"""Issue 8's HTML report benchmark: how large a report gets and how long it takes to render and
to open, by number of columns (20-bin histograms; drift has two series per chart).

    python benchmarks/bench_quality_html.py

Render time is the median of 3 runs in this process; "open" is the time headless chromium takes
to load the file (Playwright `goto` until `load`), skipped when chromium or Playwright is missing.
Budget (issue 8): 1,000 columns well under a few seconds and a few MB. Prints a table.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "quality"))
from html_examples import wide_drift_report, wide_profile_report  # noqa: E402

from mloop.quality.html import render_drift, render_profile, write_html  # noqa: E402

SIZES = (100, 1_000, 5_000)


def _open_seconds(paths: list[Path]) -> list[float | None]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return [None] * len(paths)
    times: list[float | None] = []
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        except Exception:  # noqa: BLE001 - no browser here: report without the column
            return [None] * len(paths)
        page = browser.new_page()
        for path in paths:
            start = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load", timeout=120_000)
            times.append(time.perf_counter() - start)
        browser.close()
    return times


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for kind, make, render in (("drift", wide_drift_report, render_drift),
                                   ("profile", wide_profile_report, render_profile)):
            for columns in SIZES:
                report = make(columns)
                seconds = []
                for _ in range(3):
                    start = time.perf_counter()
                    html = render(report)
                    seconds.append(time.perf_counter() - start)
                path = write_html(Path(folder) / f"{kind}-{columns}.html", html)
                paths.append(path)
                rows.append([kind, columns, len(html.encode()) / 1e6, statistics.median(seconds)])
        for row, opened in zip(rows, _open_seconds(paths), strict=True):
            row.append(opened)
    print(f"{'report':<8} {'columns':>8} {'size MB':>8} {'render s':>9} {'open s':>7}")
    for kind, columns, size, render_s, open_s in rows:
        shown = f"{open_s:7.2f}" if open_s is not None else "      —"
        print(f"{kind:<8} {columns:>8,} {size:>8.2f} {render_s:>9.3f} {shown}")


if __name__ == "__main__":
    main()
