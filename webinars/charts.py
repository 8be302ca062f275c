"""Charts as SVG drawn on the server: no script, no inline style, nothing from a CDN.

The site's Content-Security-Policy allows styles from our stylesheet only, so charting
libraries that write a ``<style>`` element into each SVG (pygal, for one) would lose their
colours; these charts carry class names that static/css/site.css colours instead.

Each chart is an image with a title and a description (``role="img"``, WCAG 1.1.1) and
always stands beside a table with the same figures, the accessible source of the numbers;
each mark also carries its figure in a ``<title>`` that pointers show on hover.
"""

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
LABEL_WIDTH = 210
VALUE_WIDTH = 64
BAR_HEIGHT = 14
BAR_GAP = 3
GROUP_GAP = 12
LEGEND_HEIGHT = 26
# The most values a description reads out; the table beside holds them all.
DESCRIBED_VALUES = 12


def _figure(value: float | None, *, percent: bool) -> str:
    if value is None:
        return "–"
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:,.0f}"


def _short(text: str, length: int = 30) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _svg(
    *, chart_id: str, title: str, description: str, height: int, body: list[str]
) -> SafeString:
    return mark_safe(
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" focusable="false" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _legend(series_names: Sequence[str]) -> list[str]:
    parts, x = [], LABEL_WIDTH
    for index, name in enumerate(series_names):
        parts.append(
            f'<rect class="chart-series-{index}" x="{x}" y="6" width="12" height="12"></rect>'
            f'<text class="chart-legend" x="{x + 17}" y="16">{escape(name)}</text>'
        )
        x += 30 + 8 * len(name)
    return parts


def bar_chart(
    *,
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    percent: bool = False,
) -> SafeString:
    """Horizontal bars: one group per category, one bar per series (a legend names them
    when there is more than one). ``percent``: values are fractions, scaled to 100%."""
    names = [name for name, _values in series]
    legend = len(series) > 1
    top = LEGEND_HEIGHT if legend else 4
    group_height = len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP + GROUP_GAP
    height = top + max(1, len(categories)) * group_height + 4
    largest = 1.0 if percent else max([v or 0 for _n, values in series for v in values] + [1])
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    body = _legend(names) if legend else []
    described = []
    for row, category in enumerate(categories):
        y = top + row * group_height
        middle = y + (group_height - GROUP_GAP) / 2 + 4
        body.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{middle:.0f}" '
            f'text-anchor="end">{escape(_short(category))}</text>'
        )
        figures = []
        for index, (name, values) in enumerate(series):
            value = values[row]
            width = max(0.0, (value or 0) / largest * area)
            bar_y = y + index * (BAR_HEIGHT + BAR_GAP)
            figure = _figure(value, percent=percent)
            label = f"{category}, {name}: {figure}" if legend else f"{category}: {figure}"
            body.append(
                f'<rect class="chart-bar chart-series-{index}" x="{LABEL_WIDTH}" y="{bar_y}" '
                f'width="{width:.1f}" height="{BAR_HEIGHT}"><title>{escape(label)}</title></rect>'
                f'<text class="chart-value" x="{LABEL_WIDTH + width + 5:.1f}" '
                f'y="{bar_y + BAR_HEIGHT - 3}">{escape(figure)}</text>'
            )
            figures.append(f"{name} {figure}" if legend else figure)
        if row < DESCRIBED_VALUES:
            described.append(f"{category}: {', '.join(figures)}")
    description = _described(described, len(categories))
    return _svg(chart_id=chart_id, title=title, description=description, height=height, body=body)


def _described(parts: list[str], total: int) -> str:
    if not parts:
        return "No figures yet."
    more = f"; and {total - len(parts)} more in the table" if total > len(parts) else ""
    return "; ".join(parts) + more + "."


def line_chart(
    *,
    chart_id: str,
    title: str,
    points: Sequence[tuple[str, float | None]],
    percent: bool = False,
) -> SafeString:
    """A line through ``points`` (label, value) in order, a dot on each; a point without
    a value (None) breaks the line. ``percent``: values are fractions from 0 to 1."""
    height, left, right, top, bottom = 260, 56, 24, 16, 48
    plot_width, plot_height = WIDTH - left - right, height - top - bottom
    values = [value for _label, value in points if value is not None]
    largest = 1.0 if percent else max([*values, 1])
    step = plot_width / max(1, len(points) - 1)

    def x_of(index: int) -> float:
        return left + (index * step if len(points) > 1 else plot_width / 2)

    def y_of(value: float) -> float:
        return top + plot_height - value / largest * plot_height

    grid, dots = [], []
    for fraction in (0, 0.5, 1):
        y = y_of(largest * fraction)
        grid.append(
            f'<line class="chart-grid" x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}">'
            f'</line><text class="chart-axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_figure(largest * fraction, percent=percent))}</text>"
        )
    segment: list[str] = []
    segments: list[list[str]] = [segment]
    for index, (label, value) in enumerate(points):
        if value is None:
            segment = []
            segments.append(segment)
            continue
        x, y = x_of(index), y_of(value)
        segment.append(f"{x:.1f},{y:.1f}")
        dots.append(
            f'<circle class="chart-dot" cx="{x:.1f}" cy="{y:.1f}" r="3.5"><title>'
            f"{escape(label)}: {escape(_figure(value, percent=percent))}</title></circle>"
        )
    lines = [
        f'<polyline class="chart-line" points="{" ".join(each)}"></polyline>'
        for each in segments
        if len(each) > 1
    ]
    shown = _label_positions(len(points))
    axis = [
        f'<text class="chart-axis" x="{x_of(index):.1f}" y="{height - bottom + 18}" '
        f'text-anchor="middle">{escape(_short(points[index][0], 16))}</text>'
        for index in shown
    ]
    described = [
        f"{label}: {_figure(value, percent=percent)}" for label, value in points[:DESCRIBED_VALUES]
    ]
    description = _described(described, len(points))
    return _svg(
        chart_id=chart_id,
        title=title,
        description=description,
        height=height,
        body=grid + lines + dots + axis,
    )


def _label_positions(count: int, most: int = 6) -> list[int]:
    """Which points get an axis label: all of a few, else the first, the last and evenly
    between, so labels never overlap."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(index * step) for index in range(most)})
