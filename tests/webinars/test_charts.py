"""Charts drawn on the server: accessible images whose marks carry their figures, text
escaped, bars in proportion, a gap where a line has no value."""

import re

from webinars.charts import _label_positions, bar_chart, line_chart


def test_a_bar_chart_is_an_image_with_a_title_a_description_and_escaped_labels():
    svg = bar_chart(
        chart_id="c",
        title="By <audience>",
        categories=["<script>alert(1)</script>", "Tour operator"],
        series=[("Registered", [10, 5])],
    )

    assert svg.startswith('<svg class="chart" id="c"')
    assert 'role="img"' in svg
    assert 'aria-labelledby="c-title c-desc"' in svg
    assert '<title id="c-title">By &lt;audience&gt;</title>' in svg
    assert "<script>" not in svg
    assert "Tour operator: 5" in svg  # the description and the bar's own title
    widths = [
        float(width)
        for width in re.findall(r'<rect class="chart-bar[^"]*"[^>]*width="([\d.]+)"', svg)
    ]
    assert widths[0] == 2 * widths[1]
    assert "style" not in svg  # the site's CSP allows no inline style


def test_a_bar_chart_of_fractions_scales_to_one_hundred_percent():
    svg = bar_chart(
        chart_id="c", title="Rates", categories=["A"], series=[("Rate", [0.5])], percent=True
    )

    assert "A: 50%" in svg
    assert 'width="223.0"' in svg  # half of the 446-pixel bar area


def test_several_series_get_a_legend_and_a_class_each():
    svg = bar_chart(
        chart_id="c", title="t", categories=["A"], series=[("New", [1]), ("Returning", [2])]
    )

    assert "chart-series-0" in svg and "chart-series-1" in svg
    assert ">Returning</text>" in svg
    assert "A, Returning: 2" in svg


def test_a_line_breaks_where_a_point_has_no_value():
    svg = line_chart(
        chart_id="l", title="Trend", points=[("a", 1), ("b", 2), ("c", None), ("d", 3), ("e", 4)]
    )

    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 4
    assert "c: –" in svg  # the description still names it


def test_an_empty_chart_says_so():
    assert "No figures yet." in bar_chart(
        chart_id="e", title="t", categories=[], series=[("x", [])]
    )


def test_axis_labels_never_crowd():
    assert _label_positions(4) == [0, 1, 2, 3]
    assert _label_positions(100) == [0, 20, 40, 59, 79, 99]
