"""Organisers write descriptions and biographies in Markdown; the public sees sanitised HTML.

Markdown allows raw HTML, so every rendering goes through nh3 (an allow-list
sanitiser): no scripts, no event handlers, no inline styles (the CSP would block
them anyway), and links only to http(s) and mailto addresses. No images either: the
CSP (``img-src 'self' data:``) would block external ones and show them broken; a
seminar's picture is its cover image field.
"""

import xml.etree.ElementTree as ET

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em",
        "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s",
        "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

# "extra" without footnotes (their anchors need ids, which we strip) and without attr_list.
# nl2br: organisers type in a plain text box and expect a new line to stay one.
MARKDOWN_EXTENSIONS = ("abbr", "def_list", "fenced_code", "tables", "sane_lists", "nl2br")

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


class _ShiftHeadings(Treeprocessor):
    """Move the text's headings so its top level sits under the page's own headings."""

    def __init__(self, md: markdown.Markdown, top_level: int):
        super().__init__(md)
        self.top_level = top_level

    def run(self, root: ET.Element) -> None:
        headings = [element for element in root.iter() if element.tag in _HEADINGS]
        if not headings:
            return
        highest = min(int(element.tag[1]) for element in headings)
        shift = self.top_level - highest
        for element in headings:
            element.tag = f"h{max(1, min(6, int(element.tag[1]) + shift))}"


class _ShiftHeadingsExtension(Extension):
    def __init__(self, top_level: int):
        super().__init__()
        self.top_level = top_level

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_ShiftHeadings(md, self.top_level), "kizuna_headings", 0)


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
    )


def render_markdown(text: str, *, top_heading: int = 2) -> SafeString:
    """Markdown to safe HTML; the text's biggest heading becomes ``<h{top_heading}>``."""
    if not text or not text.strip():
        return mark_safe("")
    html = markdown.markdown(
        text,
        extensions=[*MARKDOWN_EXTENSIONS, _ShiftHeadingsExtension(top_heading)],
        output_format="html",
    )
    return mark_safe(sanitise_html(html))
