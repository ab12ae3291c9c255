"""The HTML report: structure and escaping (plain HTML parsing) and a headless-Chromium render."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ecoserve_opt.cli import app
from ecoserve_opt.exceptions import EcoserveError
from ecoserve_opt.report import render_report, write_report
from tests.helpers import solve_dict

pytestmark = pytest.mark.milp

TINY_CARBON = "3,950"  # tiny optimum 3950.2 kgCO2e as the report formats it


class _Page(HTMLParser):
    """Collects tags, ids, table rows (cell texts) and text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if "style" not in self._stack:
            self.text.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for t, _ in self.tags if t == tag)


def _parse(text: str) -> _Page:
    p = _Page()
    p.feed(text)
    p.close()
    return p


@pytest.fixture
def results_dir(tiny_dict: dict[str, Any], tmp_path: Path) -> Path:
    """The tiny scenario solved and written with ``Results.to_dir``."""
    res = solve_dict(tiny_dict)
    return res.to_dir(tmp_path / "tiny")


def test_page_structure(results_dir: Path) -> None:
    path = write_report(results_dir)
    assert path == results_dir / "report.html"
    html = path.read_text(encoding="utf-8")
    page = _parse(html)
    assert html.startswith("<!DOCTYPE html>")
    # three plots, inline, inside their figures
    for key in ("carbon", "fleet", "power"):
        assert f"plot-{key}" in page.ids
    assert page.count("svg") == 3
    # fleet, replicas, deployment, host CPU cores, breakdown and refresh-plan tables, plus
    # scenario and solver tables
    for key in (
        "table-fleet",
        "table-replicas",
        "table-deployment",
        "table-host_cpu",
        "table-breakdown",
        "table-refresh",
    ):
        assert key in page.ids
    assert page.count("table") == 8
    gpu_rows = [r for r in page.rows if "gpu-a" in r]
    assert any("5" in r for r in gpu_rows)  # 5 x gpu-a
    total = next(r for r in page.rows if r and r[0] == "total")
    assert TINY_CARBON in total[3]
    assert TINY_CARBON in next(t for t in page.text if t.startswith(TINY_CARBON))
    # status, scenario, pillars
    assert "OPTIMAL" in page.text
    assert "not-optimal" not in page.ids
    assert any(r[:2] == ["scenario", "tiny"] for r in page.rows)
    assert any(r and r[0] == "pillars" and "rightsize" in r[1] for r in page.rows)
    # ids unique across the inline SVGs (they share one document)
    assert len(page.ids) == len(set(page.ids))


def test_self_contained(results_dir: Path) -> None:
    html = render_report(results_dir)
    page = _parse(html)
    assert page.count("script") == 0
    assert page.count("link") == 0
    assert page.count("img") == 0
    for _tag, attrs in page.tags:
        for name in ("src", "href", "xlink:href"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (name, value)
    # the only URLs are the SVG namespace names (identifiers, never fetched)
    urls = set(re.findall(r"https?://[^\"'\s)<]*", html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert "@import" not in html
    assert "url(http" not in html


def test_same_results_same_page(results_dir: Path) -> None:
    assert render_report(results_dir) == render_report(results_dir)


def test_text_is_escaped(tiny_dict: dict[str, Any], tmp_path: Path) -> None:
    tiny_dict["name"] = "<script>alert(1)</script> & co"
    out = solve_dict(tiny_dict).to_dir(tmp_path / "x")
    html = render_report(out)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html


def test_not_optimal_banner(results_dir: Path) -> None:
    import dataclasses

    from ecoserve_opt import Results
    from ecoserve_opt.solve import Status

    res = Results.from_dir(results_dir)  # rewritten as a time-limited solve would write it
    metrics = res.metrics.copy()
    metrics["gap"] = 0.0525
    dataclasses.replace(res, status=Status.FEASIBLE, metrics=metrics).to_dir(results_dir)
    page = _parse(render_report(results_dir))
    assert "not-optimal" in page.ids
    banner = "".join(page.text)
    assert "NOT OPTIMAL" in banner
    assert "5.25%" in banner


def test_parquet_results(tiny_dict: dict[str, Any], tmp_path: Path) -> None:
    out = solve_dict(tiny_dict).to_dir(tmp_path / "pq", fmt="parquet")
    page = _parse(render_report(out))
    assert page.count("svg") == 3
    assert any("gpu-a" in r for r in page.rows)


def test_offline_design_has_throughput_axis(tiny_dict: dict[str, Any], tmp_path: Path) -> None:
    tiny_dict["time_slots"] = 24
    tiny_dict["grid"]["hourly_shape"] = "solar"
    tiny_dict["llms"]["tiny-llm"]["offline"] = {
        "tokens_per_day": 3e7,
        "input_tokens": 100,
        "output_tokens": 100,
    }
    tiny_dict["pillars"]["shift_offline"] = True
    out = solve_dict(tiny_dict).to_dir(tmp_path / "off")
    html = render_report(out)
    assert "offline throughput (tokens/s)" in html
    assert "grid intensity (gCO2e/kWh)" in html


def test_not_a_results_folder(tmp_path: Path) -> None:
    with pytest.raises(EcoserveError, match="meta.json"):
        render_report(tmp_path)
    with pytest.raises(EcoserveError, match="not a folder"):
        render_report(tmp_path / "missing")


def test_cli_report(results_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "pages" / "r.html"
    r = runner.invoke(app, ["report", str(results_dir), "--out", str(target)])
    assert r.exit_code == 0, r.output
    assert target.is_file()
    assert "report written" in r.output
    r = runner.invoke(app, ["report", str(tmp_path / "missing")])
    assert r.exit_code == 2
    assert "not a folder" in r.output


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_renders_in_headless_chromium(results_dir: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium binary (chromium, chromium-browser or google-chrome) on PATH")
    url = write_report(results_dir).resolve().as_uri()
    dom = _headless(browser, tmp_path / "profile", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = _parse(dom.stdout)
    assert page.count("svg") == 3
    for key in ("plot-carbon", "plot-fleet", "plot-power", "table-fleet", "table-breakdown"):
        assert key in page.ids
    assert any("gpu-a" in r for r in page.rows)
    assert any(r and r[0] == "total" and TINY_CARBON in r[3] for r in page.rows)
    assert "IT power (kW)" in page.text

    png = tmp_path / "shot.png"
    shot = _headless(
        browser, tmp_path / "profile", "--window-size=1200,1600", f"--screenshot={png}", url
    )
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert "scenario-yaml" in page.ids
    assert any(r and r[0] == "gap (requested)" and r[1].endswith("%") for r in page.rows)
    import matplotlib.image as mpimg

    img = mpimg.imread(png)
    assert img.shape[0] >= 1000
    assert img.shape[1] >= 1000
    assert float(img[..., :3].std()) > 0.05  # not a blank page


def test_sweep_store_report(tiny_dict: dict[str, Any], tmp_path: Path) -> None:
    from ecoserve_opt.io.yaml_loader import validate_dict
    from ecoserve_opt.studies import sweep
    from ecoserve_opt.studies.pareto import pareto

    loaded = validate_dict(tiny_dict)
    sweep(loaded, {"grid_intensity": [0, 250, 500]}, tmp_path / "sweep")
    page = _parse(render_report(tmp_path / "sweep"))
    assert {"plot-sensitivity", "plot-breakdown", "table-points"} <= set(page.ids)
    assert "plot-pareto" not in page.ids
    assert page.count("svg") == 2
    assert sum(1 for r in page.rows if r and r[0] in ("0", "250", "500")) == 3
    assert len(page.ids) == len(set(page.ids))

    pareto(loaded, tmp_path / "front", points=2)
    path = write_report(tmp_path / "front")
    page = _parse(path.read_text())
    assert {"plot-pareto", "plot-breakdown"} <= set(page.ids)
    assert any("baseline:cost" in r for r in page.rows)


_GAP = re.compile(r"^(\d+(\.\d+)?%|unknown)$")


def test_gap_requested_and_achieved_in_one_format(results_dir: Path) -> None:
    page = _parse(render_report(results_dir))
    rows = {r[0]: r[1] for r in page.rows if len(r) == 2}
    achieved, requested = rows["gap (achieved)"], rows["gap (requested)"]
    assert _GAP.match(achieved), achieved
    assert _GAP.match(requested), requested
    meta = json.loads((results_dir / "meta.json").read_text())
    assert requested == f"{meta['mip_rel_gap'] * 100:.3g}%"


def test_resolved_scenario_embedded_and_escaped(tiny_dict: dict[str, Any], tmp_path: Path) -> None:
    import html as html_mod

    import yaml

    tiny_dict["description"] = "<b>bold</b> & </code></pre><script>x</script>"
    out = solve_dict(tiny_dict).to_dir(tmp_path / "y")
    assert (out / "scenario.resolved.yaml").is_file()
    assert "resolved_scenario" not in json.loads((out / "meta.json").read_text())
    text = render_report(out)
    assert "<script>" not in text
    assert "<b>bold</b>" not in text
    page = _parse(text)
    assert "scenario-yaml" in page.ids
    block = re.search(r'id="scenario-yaml">.*?<pre><code>(.*?)</code></pre>', text, re.DOTALL)
    assert block is not None
    resolved = yaml.safe_load(html_mod.unescape(block.group(1)))
    assert resolved["description"] == tiny_dict["description"]
    assert resolved["name"] == tiny_dict["name"]
    assert resolved["embodied_source"] == tiny_dict.get("embodied_source", "act")


@pytest.fixture
def front_dir(tiny_dict: dict[str, Any], tmp_path: Path) -> Path:
    from ecoserve_opt.io.yaml_loader import validate_dict
    from ecoserve_opt.studies.pareto import pareto

    pareto(validate_dict(tiny_dict), tmp_path / "front", points=3)
    return tmp_path / "front"


def test_pareto_store_page_titled_and_sorted(front_dir: Path) -> None:
    text = render_report(front_dir)
    assert "<h1>Pareto front: tiny</h1>" in text
    assert "<title>ecoserve report: tiny (pareto front)</title>" in text
    page = _parse(text)
    head = next(r for r in page.rows if r and r[0] == "kind")
    body = [r for r in page.rows if r and r[0] in ("front", "anchor", "baseline")]
    kinds = [r[0] for r in body]
    order = {"front": 0, "anchor": 1, "baseline": 2}
    assert kinds == sorted(kinds, key=order.__getitem__)
    cost = head.index("cost (USD)")
    front_costs = [float(r[cost].replace(",", "")) for r in body if r[0] == "front"]
    assert front_costs == sorted(front_costs)


#: Injected into a copy of a report: marks every table wider than its page column.
_MEASURE = """<script>
window.addEventListener('load', () => {
  const main = document.querySelector('main').getBoundingClientRect();
  const out = [];
  document.querySelectorAll('.tablewrap').forEach((w, i) => {
    const t = w.querySelector('table');
    const wide = t && t.getBoundingClientRect().right > main.right + 1;
    if (t && (w.scrollWidth > w.clientWidth + 1 || wide)) out.push(i);
  });
  document.body.setAttribute('data-clipped', out.join(',') || 'none');
});
</script>"""


def test_pareto_store_renders_unclipped_in_headless_chromium(
    front_dir: Path, tmp_path: Path
) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium binary (chromium, chromium-browser or google-chrome) on PATH")
    page_path = write_report(front_dir)
    probe = tmp_path / "probe.html"
    probe.write_text(page_path.read_text().replace("</body>", _MEASURE + "</body>"))
    dom = _headless(
        browser, tmp_path / "profile", "--window-size=1200,1600", "--dump-dom", probe.as_uri()
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-clipped="none"' in dom.stdout, re.findall(r'data-clipped="[^"]*"', dom.stdout)
    page = _parse(dom.stdout)
    assert {"plot-pareto", "plot-breakdown", "table-points"} <= set(page.ids)
    assert "Pareto front: tiny" in "".join(page.text)
