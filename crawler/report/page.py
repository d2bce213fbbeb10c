"""The report page: Plotly figures per site, data and plotly.js inlined, no network.

A Content-Security-Policy forbids every fetch, so a chart that needed the network would fail
visibly (the browser test reads the console) instead of silently.
"""

from __future__ import annotations

import html
from collections import defaultdict
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from plotly.subplots import make_subplots

from crawler.report.data import Corpus, Run, Site, worst_fill_rates

OUTPUTS = (("warc", "WARC"), ("text", "text"), ("parquet", "Parquet"))
OUTCOMES = (
    ("new_articles", "new"),
    ("updated_articles", "updated"),
    ("unchanged_rechecks", "unchanged"),
    ("duplicates_dropped", "duplicates dropped"),
)
_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:"
)
_CONFIG = {"displaylogo": False, "responsive": True}
_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem;
       color: #222; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { border-bottom: 2px solid #ddd; }
.meta { color: #666; } nav a { margin-right: 1rem; }
.latest { border-collapse: collapse; margin: .5rem 0 1rem; }
.latest th, .latest td { text-align: left; padding: .2rem .8rem .2rem 0;
                         border-bottom: 1px solid #eee; }
.status-0 { color: #1a7f37; font-weight: bold; } .status-bad { color: #c62828; font-weight: bold; }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 1rem; }
.chart { min-width: 0; min-height: 340px; }
"""


def render(corpus: Corpus) -> str:
    sections = "\n".join(_site_section(site, corpus) for site in corpus.sites)
    nav = " ".join(f'<a href="#site-{_id(s.name)}">{html.escape(s.name)}</a>' for s in corpus.sites)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>newscrawl corpus report</title>
<style>{_STYLE}</style>
<script>{get_plotlyjs()}</script>
</head>
<body>
<h1>newscrawl corpus report</h1>
<p class="meta">{html.escape(str(corpus.output_dir))} · generated
{corpus.generated_at.isoformat()} · drift floor {corpus.drift.min_fill_rate:.0%}
(templates with at least {corpus.drift.min_pages} pages)</p>
<nav>{nav}</nav>
{sections or "<p>No runs and no Parquet yet.</p>"}
</body>
</html>
"""


def _id(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)


def _site_section(site: Site, corpus: Corpus) -> str:
    figures = [
        ("articles-per-day", _articles_per_day(site)),
        ("fill-rates", _fill_rates(site, corpus)),
        ("outcomes", _outcomes(site)),
        ("errors", _errors(site)),
        ("bytes", _bytes(site)),
        ("speed", _speed(site)),
        ("authors", _authors(site)),
    ]
    charts = "\n".join(
        '<div class="chart">'
        + figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"{_id(site.name)}-{name}",
            config=_CONFIG,
            default_width="100%",
        )
        + "</div>"
        for name, figure in figures
        if figure is not None
    )
    return f"""<section id="site-{_id(site.name)}">
<h2>{html.escape(site.name)}</h2>
{_latest(site)}
<p class="meta">{site.articles} articles ({site.rows} rows with versions) in the corpus,
{len(site.runs)} runs</p>
<div class="charts">
{charts}
</div>
</section>"""


def _latest(site: Site) -> str:
    if not site.runs:
        return "<p>No run report yet.</p>"
    run = site.runs[-1]
    summary = run.summary
    errors = ", ".join(f"{k} {v}" for k, v in sorted(summary.get("errors", {}).items()))
    written = run.bytes_written
    code = "— (not a nightly run)" if run.exit_code is None else str(run.exit_code)
    status_class = "status-0" if run.exit_code in (0, None) else "status-bad"
    rows = [
        ("latest run", run.run_id),
        ("started", f"{run.started:%Y-%m-%d %H:%M:%S %Z}"),
        ("status / exit code", f'<span class="{status_class}">{run.status} / {code}</span>'),
        ("pages fetched", summary.get("pages_fetched", 0)),
        (
            "new / updated articles",
            f"{_n(summary, 'new_articles')} / {_n(summary, 'updated_articles')}",
        ),
        ("unchanged re-checks", _n(summary, "unchanged_rechecks")),
        ("duplicates dropped", _n(summary, "duplicates_dropped")),
        ("errors", errors or "none"),
        (
            "bytes written",
            ", ".join(f"{label} {_size(written[key])}" for key, label in OUTPUTS if key in written),
        ),
        ("duration", f"{summary.get('duration_s', 0)} s, {run.articles_per_second} articles/s"),
        ("drift alarms", "; ".join(run.drift_alarms) or "none"),
    ]
    cells = (v if k == "status / exit code" else html.escape(str(v)) for k, v in rows)
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{cell}</td></tr>"
        for (k, _), cell in zip(rows, cells, strict=True)
    )
    return f'<table class="latest">{body}</table>'


def _n(summary: dict[str, Any], key: str) -> int:
    return int(summary.get(key, 0) or 0)


def _size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"


def _layout(figure: go.Figure, title: str, **extra: Any) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        autosize=True,
        height=340,
        margin={"l": 50, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.2},
        **extra,
    )
    return figure


def _articles_per_day(site: Site) -> go.Figure | None:
    if not site.per_day:
        return None
    by_section: dict[str, dict[Any, int]] = defaultdict(dict)
    for day, section, articles in site.per_day:
        by_section[section][day] = articles
    figure = go.Figure(
        [
            go.Bar(name=section, x=list(days), y=list(days.values()))
            for section, days in sorted(by_section.items())
        ]
    )
    return _layout(figure, "Articles per day (published), by section", barmode="stack")


def _fill_rates(site: Site, corpus: Corpus) -> go.Figure | None:
    runs = [run for run in site.runs if run.fill_rates]
    if not runs:
        return None
    lines: dict[str, list[tuple[str, float, str]]] = defaultdict(list)
    for run in runs:
        for name, (rate, template) in worst_fill_rates(run, corpus.drift).items():
            lines[name].append((run.run_id, rate, template))
    figure = go.Figure(
        [
            go.Scatter(
                name=name,
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                text=[p[2] for p in points],
                mode="lines+markers",
                hovertemplate="%{y:.1%} (%{text})",
            )
            for name, points in lines.items()
        ]
    )
    floors = {corpus.drift.min_fill_rate: "drift floor"}
    for name, floor in sorted(site.floors.items()):  # the profile's own floors, per field
        floors[floor] = f"{floors[floor]}, {name}" if floor in floors else f"{name} floor"
    for floor, label in floors.items():  # across the whole chart, even over a single run
        figure.add_hline(
            y=floor,
            line={"dash": "dash", "color": "#c62828"},
            annotation={"text": f"{label} {floor:.0%}", "font": {"color": "#c62828"}},
            annotation_position="bottom left",
        )
    return _layout(
        figure,
        "Field fill rates per run (lowest judged template)",
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
        xaxis={"type": "category"},
    )


def _per_run_bars(site: Site, series: dict[str, list[float]], title: str, **extra: Any) -> Any:
    ids = [run.run_id for run in site.runs]
    figure = go.Figure([go.Bar(name=name, x=ids, y=values) for name, values in series.items()])
    return _layout(figure, title, xaxis={"type": "category"}, showlegend=True, **extra)


def _outcomes(site: Site) -> go.Figure | None:
    if not site.runs:
        return None
    series = {label: [_n(run.summary, key) for run in site.runs] for key, label in OUTCOMES}
    return _per_run_bars(site, series, "Articles per run: new, updated, unchanged, duplicates")


def _errors(site: Site) -> go.Figure | None:
    if not site.runs:
        return None
    kinds = sorted({kind for run in site.runs for kind in run.summary.get("errors", {})})
    series = {
        kind: [run.summary.get("errors", {}).get(kind, 0) for run in site.runs] for kind in kinds
    } or {"no errors": [0] * len(site.runs)}
    figure = _per_run_bars(site, series, "Errors per run, by kind", barmode="stack")
    if not kinds:
        figure.add_annotation(text="no errors in these runs", showarrow=False, yref="paper", y=0.5)
    return figure


def _bytes(site: Site) -> go.Figure | None:
    if not site.runs:
        return None
    figure = go.Figure(
        [
            go.Scatter(
                name=label,
                x=[run.run_id for run in site.runs],
                y=[run.bytes_written.get(key) for run in site.runs],
                mode="lines+markers",
            )
            for key, label in OUTPUTS
        ]
    )
    return _layout(
        figure,
        "Bytes written per run, by output",
        xaxis={"type": "category"},
        yaxis={"type": "log", "tickformat": ".2s", "dtick": 1, "ticksuffix": "B"},
    )


def _speed(site: Site) -> go.Figure | None:
    if not site.runs:
        return None
    ids = [run.run_id for run in site.runs]
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(
        go.Bar(name="duration (s)", x=ids, y=[_duration(run) for run in site.runs]),
        secondary_y=False,
    )
    figure.add_trace(
        go.Scatter(
            name="articles/s",
            x=ids,
            y=[run.articles_per_second for run in site.runs],
            mode="lines+markers",
        ),
        secondary_y=True,
    )
    figure.update_yaxes(title_text="seconds", secondary_y=False)
    figure.update_yaxes(title_text="articles/s", secondary_y=True, rangemode="tozero")
    return _layout(figure, "Crawl duration and articles per second", xaxis={"type": "category"})


def _duration(run: Run) -> float:
    return float(run.summary.get("duration_s") or 0)


def _authors(site: Site) -> go.Figure | None:
    if not site.authors:
        return None
    authors = list(reversed(site.authors))
    figure = go.Figure(
        go.Bar(
            x=[count for _, count in authors],
            y=[name for name, _ in authors],
            orientation="h",
            name="articles",
        )
    )
    figure = _layout(figure, f"Top {len(authors)} authors", showlegend=False)
    return figure.update_layout(margin={"l": 130})
