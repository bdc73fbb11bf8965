"""Tables: the ``Table`` of display strings (written as Markdown + HTML) and the number formats
and per-configuration summary every section uses.

Numbers are computed in numeric frames that figures draw too; a table only formats them.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .data import StudyResults


@dataclass
class Table:
    """A titled table of display strings; ``name`` is its file stem under ``tables/``."""

    name: str
    title: str
    frame: pd.DataFrame
    caption: str = ""

    def markdown(self) -> str:
        """GitHub-flavoured Markdown; ``|`` inside cells is escaped."""
        def row(cells):
            return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"
        lines = [row(self.frame.columns), row(["---"] * self.frame.shape[1])]
        lines += [row(values) for values in self.frame.itertuples(index=False)]
        return "\n".join(lines)

    def html(self) -> str:
        return self.frame.to_html(index=False, escape=True, border=0, classes="data", na_rep="")

    def write(self, folder: Path) -> list[Path]:
        """Write ``<name>.md`` and ``<name>.html`` (a complete page) and return their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        md, page = folder / f"{self.name}.md", folder / f"{self.name}.html"
        caption = f"\n\n{self.caption}\n" if self.caption else "\n"
        md.write_text(f"# {self.title}\n\n{self.markdown()}{caption}", encoding="utf-8")
        page.write_text(f"<!doctype html><meta charset='utf-8'><title>{html.escape(self.title)}"
                        f"</title><h1>{html.escape(self.title)}</h1>{self.html()}"
                        f"<p>{html.escape(self.caption)}</p>\n", encoding="utf-8")
        return [md, page]


def number(value: float, digits: int = 3) -> str:
    """A compact number for a table cell; an em dash where there is none."""
    if value is None or not np.isfinite(value):
        return "—"
    return f"{value:.{digits}g}"


def mean_sd(values: pd.Series) -> str:
    """``mean ± sd`` over seeds (sd with ddof=1; only the mean for a single seed)."""
    values = values.dropna()
    if len(values) < 2:
        return number(values.mean())  # a dash for no value
    return f"{number(values.mean())} ± {number(values.std(ddof=1), 2)}"


FINAL_LOSSES = {"final_train_loss": "final train loss (mean ± sd)",
                "final_val_loss": "final val loss (mean ± sd)"}


def summary_table(study: StudyResults, by: list[str], title: str,
                  columns: dict[str, str] = FINAL_LOSSES) -> Table:
    """Per group of ``by`` (one group if empty): the seeds that finished, the runs that did not
    (a group where every run diverged still shows), epochs, and each ``runs`` column of
    ``columns`` (column -> header) as mean ± sd over the finished seeds."""
    groups = study.runs.groupby(by, sort=True) if by else [((), study.runs)]
    rows = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        ok = group[group["status"] == "ok"]
        not_ok = group.loc[group["status"] != "ok", "status"].value_counts()
        rows.append({**{name: (number(k) if isinstance(k, float) else k) for name, k in zip(by, key)},
                     "seeds": ok["seed"].nunique(),
                     "not finished": ", ".join(f"{n} {status}" for status, n in not_ok.items()) or "—",
                     "epochs": ", ".join(str(e) for e in sorted(ok["epochs_run"].unique())) or "—",
                     **{header: mean_sd(ok[column]) for column, header in columns.items()}})
    return Table(f"{study.name}_summary", title, pd.DataFrame(rows),
                 f"Loss: {', '.join(sorted(study.ok['loss'].unique()))}; mean ± sd (ddof=1) over "
                 "the seeds that finished (status ok).")
