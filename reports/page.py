"""``index.html``: the whole report on one page that opens from disk (relative links, inline CSS)."""
from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path

from .interactive import embed
from .output import write_atomically

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1400px; margin: 2em auto; padding: 0 1em;
       color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.95em; }
table.data { border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0; }
table.data th, table.data td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
table.data th { background: #f4f4f4; }
.warning { background: #fff4e0; border-left: 4px solid #e69500; padding: 0.4em 0.8em; margin: 0.4em 0; }
.note { background: #eef5ff; border-left: 4px solid #4a7fd6; padding: 0.4em 0.8em; margin: 0.4em 0; }
td.yes { background: #e3f4e3; } td.no { background: #fbe3e3; } td.no-data { color: #888; }
td.not-resolved { background: #fff4d6; }
.caption { color: #555; font-size: 0.9em; } nav a { margin-right: 1em; }
"""


def _table(table, level: int = 3) -> str:
    stem = f"tables/{table.name}"
    body = table.html()
    if table.name == "scorecard":  # colour the verdicts so the page reads at a glance
        for verdict in ("yes", "no", "no data"):
            body = body.replace(f"<td>{verdict}</td>",
                                f"<td class='{verdict.replace(' ', '-')}'>{verdict}</td>")
        body = body.replace("<td>not resolved (", "<td class='not-resolved'>not resolved (")
    return (f"<h{level}>{html.escape(table.title)}</h{level}>{body}"
            f"<p class='caption'>{html.escape(table.caption)} "
            f"(<a href='{stem}.md'>Markdown</a>, <a href='{stem}.html'>HTML</a>)</p>")


def _message(level: str, text: str) -> str:
    return f"<div class='{level}'><b>{level}:</b> {html.escape(text)}</div>"


def _figure(path: str, caption: str, charts: list, chart_ids: list[str]) -> str:
    """A figure: its interactive charts (when it has any) above the PNG, which then sits in a
    ``<details>`` the page folds once a chart has rendered."""
    image = (f"<img src='{html.escape(path)}' alt='{html.escape(caption)}'>"
             f"<figcaption>{html.escape(caption)}</figcaption>")
    if not charts:
        return f"<figure>{image}</figure>"
    return (f"<figure>{''.join(map(embed.chart_html, charts, chart_ids))}<details class='png' open>"
            f"<summary>static figure (PNG)</summary>{image}</details></figure>")


def write_index(report) -> Path:
    """Write ``index.html`` into ``report.out``; it links only files the build wrote."""
    out = report.out
    studies = ", ".join(s.study for s in report.sections) or "none"
    parts = [f"<h1>nnstudy report</h1><p class='caption'>built "
             f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC from "
             f"<code>{html.escape(str(Path(report.results).resolve()))}</code>; studies: "
             f"{html.escape(studies)}. Every figure's runs are listed under Provenance.</p>"]
    nav = ["<a href='#scorecard'>Scorecard</a>"] if report.scorecard is not None else []
    nav += [f"<a href='#{s.study}'>{html.escape(s.title)}</a>" for s in report.sections]
    if report.provenance is not None:
        nav.append("<a href='#provenance'>Provenance</a>")
    parts.append(f"<nav>{''.join(nav)}</nav>")
    parts += [_message(level, text) for level, text in report.messages]
    charts = 0
    if report.scorecard is not None:
        parts.append(f"<section id='scorecard'>{_table(report.scorecard, level=2)}</section>")
    for section in report.sections:
        parts.append(f"<section id='{section.study}'><h2>{html.escape(section.title)}</h2>")
        if section.description:
            parts.append(f"<p class='caption'>{html.escape(section.description)}</p>")
        parts += [_message("warning", text) for text in section.warnings]
        for path, caption in section.figures:
            if (out / path).exists():
                made = section.charts.get(path, [])
                parts.append(_figure(path, caption, made,
                                     [f"chart-{charts + i + 1}" for i in range(len(made))]))
                charts += len(made)
        parts += [_table(table) for table in section.tables]
        parts.append("</section>")
    if report.provenance is not None:
        parts.append(f"<section id='provenance'>{_table(report.provenance, level=2)}</section>")
    index = out / "index.html"
    out.mkdir(parents=True, exist_ok=True)
    bundle = f"<script>{embed.bundle()}</script>" if charts else ""  # only a page with charts
    write_atomically(index, "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
                     f"<title>nnstudy report</title><style>{STYLE}</style><style>{embed.STYLE}</style>"
                     f"{bundle}</head><body>\n" + "\n".join(parts)
                     + f"\n<script>{embed.SCRIPT}</script></body></html>\n")
    return index
