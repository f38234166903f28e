"""The report's content as a small document (sections of text, tables and figures), written
once and rendered twice: Markdown (`report.md`) and a self-contained HTML page (`index.html`:
inline style, no script, no external resource; figures are the PNGs beside it)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Optional, Union


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class Figure:
    path: str  # Relative to the report directory.
    caption: str


Block = Union[str, Table, Figure]  # A str is a paragraph.


@dataclass(frozen=True)
class Section:
    title: str
    blocks: Sequence[Block] = field(default_factory=tuple)


def percent(value: Optional[float]) -> str:
    """A share as the report prints it (e.g. "49.5%"; "-" when unknown)."""
    return "-" if value is None else f"{100 * value:.1f}%"


def render_markdown(title: str, sections: Sequence[Section]) -> str:
    """The document as GitHub-flavoured Markdown."""
    lines = [f"# {title}", ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                lines.append("| " + " | ".join(block.header) + " |")
                lines.append("|" + "|".join("---" for _ in block.header) + "|")
                lines += ["| " + " | ".join(row) + " |" for row in block.rows]
            elif isinstance(block, Figure):
                lines.append(f"![{block.caption}]({block.path})")
            else:
                lines.append(block)
            lines.append("")
    return "\n".join(lines)


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; }
th { background: #f3f3f3; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; }
img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
"""


def render_html(title: str, sections: Sequence[Section]) -> str:
    """The document as one HTML page with its style inline."""
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>"]
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, Table):
                parts.append("<table><tr>" + "".join(f"<th>{html.escape(cell)}</th>"
                                                     for cell in block.header) + "</tr>")
                parts += ["<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row)
                          + "</tr>" for row in block.rows]
                parts.append("</table>")
            elif isinstance(block, Figure):
                parts.append(f'<figure><img src="{html.escape(block.path)}" '
                             f'alt="{html.escape(block.caption)}"><figcaption>'
                             f"{html.escape(block.caption)}</figcaption></figure>")
            else:
                parts.append(f"<p>{html.escape(block)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
