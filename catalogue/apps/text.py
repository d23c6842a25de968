"""Publisher-written Markdown, rendered and sanitised: no script ever reaches a page."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark without raw HTML (it is escaped, not passed through), plus tables and strikethrough.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

_TAGS = {
    "p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "hr",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
# Configured once: ``nh3.clean`` builds the same sanitiser on every call.
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


_HEADING = re.compile(r"<(/?)h([1-6])>")


def _rebase_headings(html: str) -> str:
    # Descriptions sit under the page's h2: their highest heading becomes an h3 and the others
    # keep their relative levels, so that headings never skip a level (WCAG 1.3.1).
    levels = [int(level) for _slash, level in _HEADING.findall(html)]
    if not levels:
        return html
    shift = min(levels) - 3
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) - shift, 6)}>", html)


def render_markdown(text: str | None) -> Markup:
    """Render Markdown to HTML safe to put in a page.

    Raw HTML is escaped by the renderer, then nh3 keeps only a small set of tags and
    attributes, ``http``/``https``/``mailto`` links (with ``rel="noopener noreferrer nofollow"``)
    and drops everything else: scripts, event handlers, styles, ``javascript:`` URLs, images.
    """
    if not text:
        return Markup("")
    clean = _CLEANER.clean(_rebase_headings(_md.render(text)))
    return Markup(clean)  # noqa: S704 - sanitised by nh3 just above
