"""Charts drawn on the server as inline SVG: no script, no CDN, and they print.

A chart is a bar chart over labelled buckets (days, months, age groups) with one or more
series, stacked or side by side. Every bar carries a <title> with its exact value, which
browsers show on hover. All text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Hutor's palette (hutor.css): green, gold, then calm companions.
PALETTE = ("#1d6b45", "#f0b93a", "#3f7cac", "#b05a3c", "#7c6bb0", "#6b8f71", "#c98c1e", "#8a958f")

Number = int | float | Decimal


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Number]


def nice_step(top: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 x 10^n) that divides 0..top into about `ticks` parts."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover


def short_number(value: float) -> str:
    """Axis labels: 1 500 -> "1.5k", 2 000 000 -> "2M"."""
    for limit, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= limit:
            text = f"{value / limit:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool = True,
    width: int = 760,
    height: int = 260,
    title: str = "",
    value_text: Callable[[Number], str] = lambda v: str(v),
    integer: bool = False,
) -> SafeString:
    """An SVG bar chart; `labels` name the buckets, each series has one value per bucket."""
    left, right, top, bottom = 48, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    if stacked:
        peaks = [sum(float(s.values[i]) for s in series) for i in range(len(labels))]
    else:
        peaks = [float(v) for s in series for v in s.values]
    peak = max([0.0, *peaks])
    step = nice_step(peak)
    if integer:  # counts: no tick at 0.5 services
        step = max(1.0, float(math.ceil(step)))
    axis_top = step * max(1, math.ceil(peak / step)) if peak > 0 else step * 4
    scale = plot_h / axis_top

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    # Grid and y axis.
    tick = 0.0
    while tick <= axis_top + 1e-9:
        y = top + plot_h - tick * scale
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="chart-grid{" chart-axis" if tick == 0 else ""}"/>'
        )
        parts.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" class="chart-tick">'
            f"{escape(short_number(tick))}</text>"
        )
        tick += step
    # Bars.
    slot = plot_w / n
    group_w = slot * 0.72
    bar_w = group_w if stacked else group_w / max(len(series), 1)
    for i, label in enumerate(labels):
        x0 = left + slot * i + (slot - group_w) / 2
        base = 0.0
        for k, one in enumerate(series):
            value = float(one.values[i])
            if value <= 0:
                continue
            h = value * scale
            x = x0 if stacked else x0 + bar_w * k
            y = top + plot_h - (base + value) * scale
            color = PALETTE[k % len(PALETTE)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                f'height="{max(h, 0.5):.1f}" rx="2" fill="{color}" class="chart-bar">'
                f"<title>{escape(label)} · {escape(one.name)}: "
                f"{escape(value_text(one.values[i]))}</title></rect>"
            )
            if stacked:
                base += value
    # X labels: at most ~14, evenly spaced.
    every = max(1, math.ceil(n / 14))
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = left + slot * i + slot / 2
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle" '
            f'class="chart-label">{escape(label)}</text>'
        )
    # Legend.
    if len(series) > 1 or (series and series[0].name):
        x = left
        y = height - 8
        for k, one in enumerate(series):
            color = PALETTE[k % len(PALETTE)]
            parts.append(
                f'<rect x="{x}" y="{y - 9}" width="10" height="10" rx="2" fill="{color}"/>'
                f'<text x="{x + 15}" y="{y}" class="chart-legend">{escape(one.name)}</text>'
            )
            x += 30 + int(len(one.name) * 6.6)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text above is escaped
