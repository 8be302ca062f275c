import pytest
from django.template import Context, Template
from django.utils.safestring import SafeString

from webinars.markdown import render_markdown


def test_renders_emphasis_lists_and_links():
    html = render_markdown("Visit **Aso**:\n\n- [JNTO](https://www.japan.travel/)\n- onsen")

    assert html == (
        "<p>Visit <strong>Aso</strong>:</p>\n<ul>\n"
        '<li><a href="https://www.japan.travel/" rel="noopener noreferrer nofollow">JNTO</a></li>\n'
        "<li>onsen</li>\n</ul>"
    )
    assert isinstance(html, SafeString)


def test_strips_script_tags_and_their_content():
    html = render_markdown('Hello <script>alert("x")</script> world')

    assert html == "<p>Hello  world</p>"


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        '<a href="JaVaScRiPt:alert(1)">click</a>',
        '<a href=" javascript:alert(1)">click</a>',
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_strips_dangerous_link_targets(source):
    html = render_markdown(source)

    assert "href" not in html
    assert "click" in html


def test_strips_event_handlers_styles_and_unknown_tags():
    html = render_markdown(
        '<b onclick="alert(1)">Aso</b>'
        '<span style="position:fixed">x</span><iframe src="https://evil.example"></iframe>'
        '<form action="/steal"><input name="p"></form>'
    )

    assert html == "<p><b>Aso</b>x</p><p></p>"


@pytest.mark.parametrize(
    "source",
    [
        "Look: ![Aso](https://cdn.example/aso.jpg)",
        'Look: <img src="https://cdn.example/aso.jpg" alt="Aso">',
        'Look: <img src="/media/aso.jpg" alt="Aso">',
    ],
)
def test_images_are_dropped_because_the_csp_would_show_them_broken(source):
    assert render_markdown(source) == "<p>Look: </p>"


def test_headings_are_shifted_under_the_page_headings():
    html = render_markdown("# Programme\n\n## Speakers\n\n###### Tiny", top_heading=3)

    assert html == "<h3>Programme</h3>\n<h4>Speakers</h4>\n<h6>Tiny</h6>"


def test_smallest_used_heading_level_becomes_the_top_level():
    assert render_markdown("### Only level three", top_heading=2) == "<h2>Only level three</h2>"


def test_tables_from_markdown_extra_survive():
    html = render_markdown("| Day | Place |\n|---|---|\n| 1 | Aso |")

    assert "<table>" in html
    assert "<td>Aso</td>" in html


@pytest.mark.parametrize("source", ["", "   \n  ", None])
def test_empty_text_gives_empty_html(source):
    assert render_markdown(source or "") == ""


def test_template_filter_renders_and_sanitises():
    template = Template("{% load catalogue_tags %}{{ text|markdown:3 }}")

    rendered = template.render(Context({"text": "# Title\n\n<script>x()</script>**ok**"}))

    assert rendered == "<h3>Title</h3>\n\n<p><strong>ok</strong></p>"
