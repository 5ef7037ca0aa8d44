"""Server-rendered, accessible inline SVG charts and their data tables.

Over 400 lines on purpose: the bar chart, the line chart and the data table share some thirty small
SVG builders (escaping, ids, textures, legends, ticks) used nowhere else; in one module they stay private.

Pure module: no Flask app needed. Fixed wording goes through Flask-Babel's ``gettext`` and numbers
through Babel, so a chart drawn in a request speaks the reader's language; outside a request the
text is English. Output contains no scripts, event handlers, ``style`` attributes or
external resources (the page CSP forbids them); appearance uses presentation attributes
and classes (``chart``, ``bar``, ``axis``, ``legend``, ``data-table``, ``num``). Every
text is escaped. Series are told apart by legend labels and textures as well as colour.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH = 800
PAD = 12
FONT = 12
SMALL = 11
TEXT = "#1a1a1a"  # 17.4:1 on white
MUTED = "#4d4d4d"  # 8.5:1 on white
GRID = "#d9d9d9"  # decorative only
# Each at least 4.5:1 on white (bars need 3:1); tests check this.
PALETTE = ("#1b5e9e", "#c2510f", "#2e7d32", "#7b3294", "#8a5a00", "#00796b")
OVERLAY_COLOUR = "#1a1a1a"
DASHES = ("", "7 4", "2 3", "10 3 2 3")
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans KR', sans-serif"

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_TEXTURES = (  # white marks over the series colour: series 0 solid, then dots, lines, ...
    "", '<circle cx="3" cy="3" r="1.2" fill="#fff"/>', '<path d="M0 3H6" stroke="#fff" stroke-width="1.2"/>',
    '<path d="M3 0V6" stroke="#fff" stroke-width="1.2"/>', '<path d="M0 0L6 6M6 0L0 6" stroke="#fff"/>',
    '<rect x="2" y="2" width="2" height="2" fill="#fff"/>',
)


@dataclass
class Bar:
    """One category of a bar chart: values per series, optional link, note and overlay."""

    label: str
    values: dict[str, float]
    href: str | None = None
    note: str | None = None
    overlay: float | None = None
    overlay_label: str | None = None


def bar_chart(
    chart_id: str, title: str, bars: list[Bar], *, series: list[str], series_labels: dict[str, str],
    x_label: str, y_label: str, stacked: bool = True, horizontal: bool = False, source: str, as_of: str,
    overlay_name: str | None = None, unit: str = "",
) -> Markup:
    """Render a bar chart; ``x_label`` names the category axis and ``y_label`` the value axis."""
    _check_id(chart_id)
    if not bars or not series:
        raise ValueError("a bar chart needs at least one bar and one series")
    for bar in bars:
        _check_values([bar.values.get(s, 0) for s in series] + [bar.overlay or 0], bar.label)
    labels = {s: series_labels.get(s, s) for s in series}
    sizes = [sum(b.values.get(s, 0) for s in series) if stacked else max(b.values.get(s, 0) for s in series)
             for b in bars]
    ticks = _ticks(max(sizes), integer=_all_int(v for b in bars for v in b.values.values()))
    has_overlay = overlay_name is not None or any(b.overlay is not None or b.overlay_label for b in bars)
    overlay_name = overlay_name or _("Overlay")
    # A second scale only when some count is exact and above 0: one of 0 to 1 under hollow markers says nothing.
    undrawn = has_overlay and not any(b.overlay for b in bars)
    has_overlay = has_overlay and not undrawn
    over_ticks = _ticks(max((b.overlay or 0) for b in bars), integer=True) if has_overlay else []
    noted = [b for b in bars if b.note]
    # Legend
    items = [(_swatch(chart_id, i), labels[s]) for i, s in enumerate(series)]
    if noted:
        items.append((_swatch(chart_id, 0, hatched=True), _("Hatched: see note below the chart")))
    if has_overlay:
        items.append((_diamond(7, 7, 6, hollow=False), _("%(name)s (second scale)", name=overlay_name)))
        if any(b.overlay is None and b.overlay_label for b in bars):
            items.append((_diamond(7, 7, 6, hollow=True), _("%(name)s: exact count not shown", name=overlay_name)))
    legend, legend_h = _legend(items, PAD, PAD)
    # Geometry: a band of 1 per bar, 0.6 extra on each side of a noted bar so it never
    # reads as one step of an evenly spaced series.
    units, starts = 0.0, []
    for i, bar in enumerate(bars):
        if i and (bar.note or bars[i - 1].note):
            units += 0.6
        starts.append(units)
        units += 1
    noted_at = [i for i, b in enumerate(bars) if b.note]
    marks = {i: f"({chr(97 + n)})" if n < 26 else f"({n + 1})" for n, i in enumerate(noted_at)}
    cat_labels = [f"{b.label} {marks[i]}" if i in marks else b.label for i, b in enumerate(bars)]
    tick_w = max(_text_width(_fmt(t)) for t in ticks)
    over_w = max((_text_width(_fmt(t)) for t in over_ticks), default=0)
    body: list[str] = []  # axes, grid and labels: hidden from assistive technology, the desc says it all
    marks_out: list[str] = []
    if horizontal:
        label_w = min(max(_text_width(t) for t in cat_labels), WIDTH * 0.38)
        value_w = max(_text_width(_fmt(s)) for s in sizes) + 8
        left, right = PAD + label_w + 10, WIDTH - PAD - value_w
        top = PAD + legend_h + (FONT + 10 if x_label else 0) + (2 * FONT + 20 if has_overlay else 0)
        band = 26.0
        bottom = top + band * units
        cat_len, val_len = bottom - top, right - left
    else:
        left = PAD + FONT + 10 + tick_w + 8
        right = WIDTH - PAD - (over_w + FONT + 22 if has_overlay else 8)
        top = PAD + legend_h + 14
        bottom = top + 280
        band = (right - left) / units
        cat_len, val_len = right - left, bottom - top
    inner = min(band * 0.72, 80.0)

    def to_val(v: float, scale: list[float]) -> float:
        return val_len * v / scale[-1]

    def rect(c0: float, c1: float, v0: float, v1: float, **attrs: object) -> str:
        if horizontal:
            return _tag("rect", x=left + v0, y=top + c0, width=v1 - v0, height=c1 - c0, **attrs)
        return _tag("rect", x=left + c0, y=bottom - v1, width=c1 - c0, height=v1 - v0, **attrs)

    def point(c: float, v: float) -> tuple[float, float]:
        return (left + v, top + c) if horizontal else (left + c, bottom - v)

    # Grid and value axis
    for t in ticks:
        p = to_val(t, ticks)
        if horizontal:
            body.append(_tag("line", x1=left + p, y1=top, x2=left + p, y2=bottom, stroke=GRID))
            body.append(_text(left + p, bottom + FONT + 6, _fmt(t), anchor="middle"))
        else:
            body.append(_tag("line", x1=left, y1=bottom - p, x2=right, y2=bottom - p, stroke=GRID))
            body.append(_text(left - 6, bottom - p + 4, _fmt(t), anchor="end"))
    if has_overlay:
        for t in over_ticks:
            p = to_val(t, over_ticks)
            if horizontal:
                body.append(_tag("line", x1=left + p, y1=top - 4, x2=left + p, y2=top, stroke=TEXT))
                body.append(_text(left + p, top - 8, _fmt(t), anchor="middle"))
            else:
                body.append(_tag("line", x1=right, y1=bottom - p, x2=right + 4, y2=bottom - p, stroke=TEXT))
                body.append(_text(right + 7, bottom - p + 4, _fmt(t)))
    # Bars
    # Totals at the bar ends, where they fit; grouped bars have no single total to show.
    value_labels = stacked and (horizontal or band >= max(_text_width(_fmt(s), SMALL) for s in sizes) + 2)
    for i, bar in enumerate(bars):
        c0 = starts[i] * band + (band - inner) / 2
        parts: list[str] = [f"<title>{_x(_bar_title(bar, series, labels, stacked, unit, overlay_name))}</title>"]
        if stacked:
            v = 0.0
            for n, s in enumerate(series):
                value = bar.values.get(s, 0)
                parts.append(rect(c0, c0 + inner, to_val(v, ticks), to_val(v + value, ticks),
                                  fill=_fill(chart_id, n), stroke="#fff", stroke_width=0.5))
                v += value
        else:
            width = inner / len(series)
            for n, s in enumerate(series):
                parts.append(rect(c0 + n * width, c0 + (n + 1) * width, 0, to_val(bar.values.get(s, 0), ticks),
                                  fill=_fill(chart_id, n), stroke="#fff", stroke_width=0.5))
        if bar.note:
            parts.append(rect(c0, c0 + inner, 0, to_val(sizes[i], ticks), fill=f"url(#{chart_id}-hatch)",
                              stroke=TEXT, stroke_dasharray="3 2"))
        if value_labels:
            x, y = point(c0 + inner / 2, to_val(sizes[i], ticks))
            parts.append(_text(x + 4, y + 4, _fmt(sizes[i]), size=SMALL) if horizontal
                         else _text(x, y - 4, _fmt(sizes[i]), size=SMALL, anchor="middle"))
        if has_overlay and (bar.overlay is not None or bar.overlay_label):
            x, y = point(c0 + inner / 2, to_val(bar.overlay or 0, over_ticks))
            parts.append(_diamond(x, y, 6, hollow=bar.overlay is None))
        cat_text = cat_labels[i]
        if horizontal:
            parts.append(_text(left - 8, top + c0 + inner / 2 + 4, _fit(cat_text, label_w), anchor="end"))
        elif _text_width(cat_text) > band * 0.95:
            x, y = left + c0 + inner / 2 + 4, bottom + 12
            parts.append(_text(x, y, cat_text, anchor="end", transform=f"rotate(-45 {x:.1f} {y:.1f})"))
        else:
            parts.append(_text(left + c0 + inner / 2, bottom + FONT + 6, cat_text, anchor="middle"))
        if bar.href:
            marks_out.append(f'<a href="{_x(_safe_href(bar.href))}" class="bar">{"".join(parts)}</a>')
        else:
            marks_out.append(f'<g class="bar">{"".join(parts)}</g>')
    # Axes and axis labels
    body.append(_tag("line", x1=left, y1=top, x2=left, y2=bottom, stroke=TEXT, class_="axis"))
    body.append(_tag("line", x1=left, y1=bottom, x2=right, y2=bottom, stroke=TEXT, class_="axis"))
    if horizontal:
        y = bottom + 2 * FONT + 14
        body.append(_text(left + val_len / 2, y, y_label, anchor="middle", weight="bold"))
        body.append(_text(left - 8, top - (2 * FONT + 26 if has_overlay else 8), x_label, anchor="end", weight="bold"))
        if has_overlay:
            body.append(_tag("line", x1=left, y1=top, x2=right, y2=top, stroke=TEXT, class_="axis"))
            body.append(_text(left + val_len / 2, top - FONT - 14, overlay_name, anchor="middle", weight="bold"))
    else:
        rotated = any(_text_width(t) > band * 0.95 for t in cat_labels)
        drop = max(_text_width(t) for t in cat_labels) * 0.71 + 10 if rotated else FONT + 10
        y = bottom + drop + FONT + 6
        body.append(_text(left + cat_len / 2, y, x_label, anchor="middle", weight="bold"))
        mid = top + val_len / 2
        body.append(_text(PAD + FONT, mid, y_label, anchor="middle", weight="bold", transform=f"rotate(-90 {PAD + FONT} {mid:.1f})"))
        if has_overlay:
            body.append(_tag("line", x1=right, y1=top, x2=right, y2=bottom, stroke=TEXT, class_="axis"))
            x = WIDTH - PAD - 2
            body.append(_text(x, mid, overlay_name, anchor="middle", weight="bold", transform=f"rotate(90 {x} {mid:.1f})"))
    y = bottom + (3 * FONT + 24 if horizontal else drop + 2 * FONT + 22)
    notes = [f"{marks[i]} {bars[i].label}: {bars[i].note}" for i in noted_at]
    if undrawn:
        notes.append(_undrawn_note(overlay_name))
    footer, height = _footer(notes, source, as_of, y)
    desc = _bar_desc(bars, sizes, series, labels, stacked, unit, overlay_name if has_overlay or undrawn else None,
                     source, as_of, drawn=not undrawn)
    defs = _defs(chart_id, len(series), hatch=bool(noted))
    role = "group" if any(b.href for b in bars) else "img"
    content = f'{defs}{legend}<g class="axes" aria-hidden="true">{"".join(body)}</g>{"".join(marks_out)}{footer}'
    return _svg(chart_id, title, desc, height, role, content)


def line_chart(
    chart_id: str, title: str, x_values: list[int], series: dict[str, list[float | None]], *,
    x_label: str, y_label: str, source: str, as_of: str, y_max: float | None = None, unit: str = "",
) -> Markup:
    """Render a line chart over increasing ``x_values``; ``None`` leaves a gap in a line."""
    _check_id(chart_id)
    if not x_values or not series or any(len(v) != len(x_values) for v in series.values()):
        raise ValueError("every series needs one value per x value")
    if any(b <= a for a, b in zip(x_values, x_values[1:])):
        raise ValueError("x values must increase")
    for name, values in series.items():
        _check_values([v for v in values if v is not None], name)
    present = [v for values in series.values() for v in values if v is not None]
    ticks = _ticks(max([y_max or 0, *present]), integer=False)
    decimals = 0 if _all_int(present) else 1
    items = [(_line_swatch(n), name) for n, name in enumerate(series)]
    legend, legend_h = _legend(items, PAD, PAD)
    tick_w = max(_text_width(_fmt(t)) for t in ticks)
    left, right = PAD + FONT + 10 + tick_w + 8, WIDTH - PAD - 12
    top, bottom = PAD + legend_h + 14, PAD + legend_h + 14 + 280
    span = (x_values[-1] - x_values[0]) or 1

    def xy(x: int, v: float) -> tuple[float, float]:
        return left + (right - left) * (x - x_values[0]) / span, bottom - (bottom - top) * v / ticks[-1]

    body: list[str] = []
    for t in ticks:
        y = xy(x_values[0], t)[1]
        body.append(_tag("line", x1=left, y1=y, x2=right, y2=y, stroke=GRID))
        body.append(_text(left - 6, y + 4, _fmt(t), anchor="end"))
    step = max(1, math.ceil(len(x_values) * (_text_width(str(x_values[-1])) + 8) / (right - left)))
    for n, x in enumerate(x_values):
        px = xy(x, 0)[0]
        body.append(_tag("line", x1=px, y1=bottom, x2=px, y2=bottom + 4, stroke=TEXT))
        if n % step == 0:
            body.append(_text(px, bottom + FONT + 6, str(x), anchor="middle"))
    for n, (name, values) in enumerate(series.items()):
        colour, dash = PALETTE[n % len(PALETTE)], DASHES[n % len(DASHES)]
        runs: list[list[tuple[float, float]]] = [[]]
        points = []
        for x, v in zip(x_values, values):
            if v is None:
                runs.append([])
                continue
            px, py = xy(x, v)
            runs[-1].append((px, py))
            label = f"{x}, {name}: {_with_unit(_fmt(v, decimals), unit)}"
            points.append(f"<g><title>{_x(label)}</title>{_marker(n, px, py, colour)}</g>")
        for run in runs:
            if len(run) > 1:
                body.append(_tag("polyline", points=" ".join(f"{a:.1f},{b:.1f}" for a, b in run), fill="none",
                                 stroke=colour, stroke_width=2.5, stroke_dasharray=dash or None))
        body.append(f'<g class="series">{"".join(points)}</g>')
    body.append(_tag("line", x1=left, y1=top, x2=left, y2=bottom, stroke=TEXT, class_="axis"))
    body.append(_tag("line", x1=left, y1=bottom, x2=right, y2=bottom, stroke=TEXT, class_="axis"))
    body.append(_text((left + right) / 2, bottom + 2 * FONT + 18, x_label, anchor="middle", weight="bold"))
    mid = (top + bottom) / 2
    body.append(_text(PAD + FONT, mid, y_label, anchor="middle", weight="bold", transform=f"rotate(-90 {PAD + FONT} {mid:.1f})"))
    footer, height = _footer([], source, as_of, bottom + 3 * FONT + 30)
    desc = _line_desc(x_values, series, decimals, unit, source, as_of)
    return _svg(chart_id, title, desc, height, "img", legend + "".join(body) + footer)


def data_table(
    chart_id: str, caption: str, header: list[str], rows: list[list[object]], *,
    links: list[str | None] | None = None, column_lang: dict[int, str] | None = None,
) -> Markup:
    """Render the data behind a chart as a table; the first cell of each row is its header.

    ``column_lang`` marks the cells of a column written in another language than the page (``{1: "en"}``).
    """
    _check_id(chart_id)
    if links is not None and len(links) != len(rows):
        raise ValueError("links needs one entry per row")
    numeric = [bool(rows) and c > 0 and all(_is_number(r[c]) or r[c] is None for r in rows if c < len(r))
               for c in range(len(header))]
    out = [f'<table class="data-table" id="{chart_id}-table"><caption>{_x(caption)}</caption><thead><tr>']
    out += [f'<th scope="col"{_cls(numeric[c])}>{_x(h)}</th>' for c, h in enumerate(header)]
    out.append("</tr></thead><tbody>")
    for r, row in enumerate(rows):
        out.append("<tr>")
        for c, value in enumerate(row):
            text = _x(value) if c == 0 else _("n/a") if value is None else _x(_fmt(value) if _is_number(value) else value)
            href = links[r] if links and c == 0 else None
            if href:
                text = f'<a href="{_x(_safe_href(href))}">{text}</a>'
            cell = "th" if c == 0 else "td"
            scope = ' scope="row"' if c == 0 else ""
            lang = f' lang="{_x(column_lang[c])}"' if column_lang and c in column_lang and text else ""
            out.append(f"<{cell}{scope}{_cls(c < len(numeric) and numeric[c])}{lang}>{text}</{cell}>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return Markup("".join(out))


def format_number(value: float, decimals: int | None = None) -> str:
    """Format a number with thousands separators ("2,914"; "13.7")."""
    return _fmt(value, decimals)


# --- building blocks ---------------------------------------------------------------

def _svg(chart_id: str, title: str, desc: str, height: float, role: str, content: str) -> Markup:
    """Wrap chart content in the accessible, responsive root element."""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{chart_id}" role="{role}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {WIDTH} {math.ceil(height)}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" font-family="{_x(FONT_FAMILY)}" '
        f'font-size="{FONT}" fill="{TEXT}"><title id="{chart_id}-title">{_x(title)}</title>'
        f'<desc id="{chart_id}-desc">{_x(desc)}</desc>{content}</svg>'
    )


def _defs(chart_id: str, n_series: int, *, hatch: bool) -> str:
    """Define a texture per series after the first, and the hatch for noted bars."""
    out = []
    for n in range(1, n_series):
        colour, marks = PALETTE[n % len(PALETTE)], _TEXTURES[n % len(_TEXTURES)] or _TEXTURES[1]
        out.append(f'<pattern id="{chart_id}-s{n}" patternUnits="userSpaceOnUse" width="6" height="6">'
                   f'<rect width="6" height="6" fill="{colour}"/>{marks}</pattern>')
    if hatch:
        out.append(f'<pattern id="{chart_id}-hatch" patternUnits="userSpaceOnUse" width="7" height="7" '
                   'patternTransform="rotate(45)"><path d="M0 0V7" stroke="#fff" stroke-width="2.5"/></pattern>')
    return f"<defs>{''.join(out)}</defs>" if out else ""


def _fill(chart_id: str, n: int) -> str:
    """Return the fill of series ``n``: solid for the first, textured for the rest."""
    return PALETTE[0] if n == 0 else f"url(#{chart_id}-s{n})"


def _swatch(chart_id: str, n: int, *, hatched: bool = False) -> str:
    """Draw a 14 px legend square in a series fill, optionally hatched."""
    out = _tag("rect", x=0, y=0, width=14, height=14, fill=_fill(chart_id, n))
    if hatched:
        out += _tag("rect", x=0, y=0, width=14, height=14, fill=f"url(#{chart_id}-hatch)", stroke=TEXT,
                    stroke_dasharray="3 2")
    return out


def _line_swatch(n: int) -> str:
    """Draw a short legend line with the series' dash and marker."""
    colour = PALETTE[n % len(PALETTE)]
    line = _tag("line", x1=0, y1=7, x2=24, y2=7, stroke=colour, stroke_width=2.5,
                stroke_dasharray=DASHES[n % len(DASHES)] or None)
    return line + _marker(n, 12, 7, colour)


def _marker(n: int, x: float, y: float, colour: str) -> str:
    """Draw point marker ``n``: circle, square, triangle or diamond."""
    shape = n % 4
    if shape == 0:
        return _tag("circle", cx=x, cy=y, r=4, fill=colour, stroke="#fff")
    if shape == 1:
        return _tag("rect", x=x - 4, y=y - 4, width=8, height=8, fill=colour, stroke="#fff")
    if shape == 2:
        return _tag("path", d=f"M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y + 4:.1f}H{x - 5:.1f}Z", fill=colour, stroke="#fff")
    return _diamond(x, y, 5, hollow=False, colour=colour)


def _diamond(x: float, y: float, r: float, *, hollow: bool, colour: str = OVERLAY_COLOUR) -> str:
    """Draw the overlay marker; hollow when the exact count is withheld."""
    d = f"M{x:.1f} {y - r:.1f}L{x + r:.1f} {y:.1f}L{x:.1f} {y + r:.1f}L{x - r:.1f} {y:.1f}Z"
    return _tag("path", d=d, fill="#fff" if hollow else colour, stroke=colour if hollow else "#fff",
                stroke_width=2 if hollow else 1, class_="overlay")


def _legend(items: list[tuple[str, str]], x0: float, y0: float) -> tuple[str, float]:
    """Lay legend entries out in rows; return the markup and its height."""
    out, x, y = [], x0, y0
    for swatch, label in items:
        swatch_w = 26 if swatch.startswith("<line") else 14
        width = swatch_w + 6 + _text_width(label) + 18
        if x > x0 and x + width > WIDTH - PAD:
            x, y = x0, y + 22
        out.append(f'<g transform="translate({x:.1f} {y:.1f})">{swatch}{_text(swatch_w + 6, 11, label)}</g>')
        x += width
    return f'<g class="legend" aria-hidden="true">{"".join(out)}</g>', y - y0 + 22


def _footer(notes: list[str], source: str, as_of: str, y: float) -> tuple[str, float]:
    """Render notes and the source line under the chart; return markup and total height."""
    out = []
    for note in notes:
        for line in _wrap(note, WIDTH - 2 * PAD, SMALL):
            out.append(_text(PAD, y, line, size=SMALL))
            y += SMALL + 5
    y += 4 if notes else 0
    for line in _wrap(_source_line(source, as_of), WIDTH - 2 * PAD, SMALL):
        out.append(_text(PAD, y, line, size=SMALL, fill=MUTED))
        y += SMALL + 5
    return f'<g class="chart-source" aria-hidden="true">{"".join(out)}</g>', y + PAD


def _bar_title(bar: Bar, series: list[str], labels: dict[str, str], stacked: bool, unit: str,
               overlay_name: str) -> str:
    """Name one bar: "2009: 2,914 arrivals (662 men, 2,252 women)"."""
    parts = [_("%(value)s %(series)s", value=_fmt(bar.values.get(s, 0)), series=labels[s]) for s in series]
    if stacked:
        text = f"{bar.label}: {_with_unit(_fmt(sum(bar.values.get(s, 0) for s in series)), unit)}"
        text += f" ({', '.join(parts)})" if len(series) > 1 else ""
    else:
        text = f"{bar.label}: {', '.join(parts)}"
    if bar.note:
        text += f", {bar.note}"
    if bar.overlay is not None or bar.overlay_label:
        text += f". {overlay_name}: {bar.overlay_label or _fmt(bar.overlay or 0)}"
    return text


def _undrawn_note(overlay_name: str) -> str:
    """Say why a chart has no second scale: every count is 0 or withheld."""
    return _("%(name)s: every count is 0 or fewer than 5, too few to draw on a second scale; "
             "the table below the chart gives them.", name=overlay_name)


def _bar_desc(bars: list[Bar], sizes: list[float], series: list[str], labels: dict[str, str], stacked: bool,
              unit: str, overlay_name: str | None, source: str, as_of: str, *, drawn: bool = True) -> str:
    """Summarise a bar chart in words for screen readers."""
    names = ", ".join(labels[s] for s in series)
    kind = _("stacked by %(series)s", series=names) if stacked else _("grouped by %(series)s", series=names)
    text = [_("Bar chart of %(n)s bars, %(kind)s.", n=len(bars), kind=kind) if len(series) > 1
            else _("Bar chart of %(n)s bars.", n=len(bars))]
    plain = [(s, b) for s, b in zip(sizes, bars) if not b.note] or list(zip(sizes, bars))
    high = max(plain, key=lambda p: p[0])
    low = min(plain, key=lambda p: p[0])
    text.append(_("Highest: %(label)s, %(value)s.", label=high[1].label, value=_with_unit(_fmt(high[0]), unit)))
    text.append(_("Lowest: %(label)s, %(value)s.", label=low[1].label, value=_with_unit(_fmt(low[0]), unit)))
    if stacked:
        text.append(_("Total of all bars: %(value)s.", value=_with_unit(_fmt(sum(sizes)), unit)))
    text += [_("%(label)s is not a single category: %(note)s.", label=b.label, note=b.note) for b in bars if b.note]
    if overlay_name:
        shown = [b for b in bars if b.overlay is not None or b.overlay_label]
        values = "; ".join(f"{b.label} {b.overlay_label or _fmt(b.overlay or 0)}" for b in shown)
        text.append(_("Markers on a second scale show %(name)s: %(values)s.", name=overlay_name, values=values)
                    if drawn else f"{_undrawn_note(overlay_name)} {values}.")
    text.append(_source_line(source, as_of))
    return " ".join(text)


def _source_line(source: str, as_of: str) -> str:
    """"Source: …. As of …." under every chart and in its description."""
    return _("Source: %(source)s. As of %(as_of)s.", source=source, as_of=as_of)


def _line_desc(x_values: list[int], series: dict[str, list[float | None]], decimals: int, unit: str,
               source: str, as_of: str) -> str:
    """Summarise a line chart: first, last, highest and lowest value of each series."""
    text = [_("Line chart, %(first)s to %(last)s.", first=x_values[0], last=x_values[-1])]
    for name, values in series.items():
        known = [(x, v) for x, v in zip(x_values, values) if v is not None]
        if not known:
            text.append(_("%(name)s: no data.", name=name))
            continue

        def fmt(v: float) -> str:
            return _with_unit(_fmt(v, decimals), unit)

        high, low = max(known, key=lambda p: p[1]), min(known, key=lambda p: p[1])
        text.append(_("%(name)s: %(first)s in %(first_x)s, %(last)s in %(last_x)s; highest %(high)s in %(high_x)s, "
                      "lowest %(low)s in %(low_x)s.", name=name, first=fmt(known[0][1]), first_x=known[0][0],
                      last=fmt(known[-1][1]), last_x=known[-1][0], high=fmt(high[1]), high_x=high[0],
                      low=fmt(low[1]), low_x=low[0]))
    text.append(_source_line(source, as_of))
    return " ".join(text)


def _ticks(top: float, *, integer: bool, target: int = 5) -> list[float]:
    """Return round tick values from 0 to at least ``top`` (steps of 1, 2, 2.5 or 5 x 10^n)."""
    if top <= 0:
        return [0, 1]
    raw = top / target
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = [m * magnitude for m in (1, 2, 2.5, 5, 10) if not (integer and m == 2.5 and magnitude < 10)]
    step = next(s for s in steps if s >= raw)
    if integer:
        step = max(1, round(step))
    count = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(count + 1)]


def _fmt(value: float, decimals: int | None = None) -> str:
    """Format with thousands separators; whole numbers without decimals unless asked."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, pattern, locale=get_locale() or "en", decimal_quantization=True)


def _with_unit(text: str, unit: str) -> str:
    """Append a unit: "13.7%" or "2,914 arrivals"."""
    return text if not unit else f"{text}{unit}" if unit == "%" else _("%(value)s %(unit)s", value=text, unit=unit)


def _text(x: float, y: float, text: str, *, size: int = FONT, anchor: str = "start", fill: str | None = None,
          weight: str | None = None, transform: str | None = None) -> str:
    """Return an escaped ``<text>`` element."""
    attrs = _attrs(x=x, y=y, font_size=size if size != FONT else None, text_anchor=anchor if anchor != "start" else None,
                   fill=fill, font_weight=weight, transform=transform)
    return f"<text{attrs}>{_x(text)}</text>"


def _tag(name: str, **attrs: object) -> str:
    """Return an empty element; ``class_`` becomes class and underscores become hyphens."""
    return f"<{name}{_attrs(**attrs)}/>"


def _attrs(**attrs: object) -> str:
    """Serialise attributes, skipping None and rounding floats."""
    out = []
    for key, value in attrs.items():
        if value is None:
            continue
        text = f"{value:.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
        out.append(f' {key.rstrip("_").replace("_", "-")}="{_x(text)}"')
    return "".join(out)


def _x(value: object) -> str:
    """Escape text for XML and HTML, dropping characters XML does not allow."""
    return str(escape(_XML_ILLEGAL.sub("", str(value))))


def _cls(numeric: bool) -> str:
    """Return the class attribute that right-aligns numbers."""
    return ' class="num"' if numeric else ""


def _safe_href(href: str) -> str:
    """Return ``href`` if it is relative or http(s)/mailto; refuse script and data URLs."""
    # Browsers ignore tabs, newlines and leading spaces in URLs: "java\tscript:" is javascript:.
    match = _SCHEME.match(re.sub(r"[\x00-\x20\x7f]", "", href))
    if match and match.group(1).lower() not in _SAFE_SCHEMES:
        raise ValueError(f"refusing link with scheme {match.group(1)!r}")
    return href


def _check_id(chart_id: str) -> None:
    """Require an id that is safe to use in id, href and aria attributes."""
    if not _ID.fullmatch(chart_id):
        raise ValueError(f"invalid chart id {chart_id!r}")


def _check_values(values: Iterable[float], label: str) -> None:
    """Refuse negative, infinite and NaN values."""
    for value in values:
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{label!r}: values must be finite and not negative, got {value!r}")


def _is_number(value: object) -> bool:
    """Tell numbers from other cells (booleans are not numbers)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _all_int(values: Iterable[float]) -> bool:
    """Tell whether every value is a whole number."""
    return all(float(v).is_integer() for v in values)


def _text_width(text: str, size: int = FONT) -> float:
    """Estimate rendered text width: wide (CJK) characters count about twice."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.58 for ch in text) * size


def _fit(text: str, width: float) -> str:
    """Shorten text with an ellipsis to fit ``width``; the bar title keeps the full text."""
    if _text_width(text) <= width:
        return text
    while text and _text_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, width: float, size: int) -> Sequence[str]:
    """Break text into lines no wider than ``width``."""
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width(f"{lines[-1]} {word}", size) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines
