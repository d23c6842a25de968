"""Markdown descriptions: rendered, then sanitised — no script ever reaches a page."""

from html.parser import HTMLParser

from markupsafe import Markup

from catalogue.apps.text import render_markdown


def test_markdown_renders_and_headings_sit_under_the_page_headings():
    html = render_markdown("# Titre\n\n## Sous-titre\n\n- **gras**\n- [lien](https://exemple.fr)")
    assert isinstance(html, Markup)
    assert "<h3>Titre</h3>" in html and "<h4>Sous-titre</h4>" in html
    assert "<strong>gras</strong>" in html
    # A description starting at h4 is raised to h3: no level is skipped under the page's h2.
    assert render_markdown("#### Ordonnances\n\n##### Rappels") == Markup(
        "<h3>Ordonnances</h3>\n<h4>Rappels</h4>\n")
    assert 'href="https://exemple.fr"' in html and 'rel="noopener noreferrer nofollow"' in html


def test_scripts_handlers_and_dangerous_links_are_removed():
    html = render_markdown(
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[clic](javascript:alert(1)) [data](data:text/html,<script>alert(1)</script>)\n\n"
        "<a href='https://x' onclick='steal()'>a</a>"
    )
    tags = _tags(html)
    names = {name for name, _ in tags}
    assert not names & {"script", "img", "iframe"}
    for _name, attrs in tags:
        for attr, value in attrs:
            assert not attr.startswith("on")
            assert not (value or "").lower().startswith(("javascript:", "data:"))


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collector().feed(str(html))
    return found


def test_html_links_written_as_markdown_keep_only_safe_schemes():
    tags = _tags(render_markdown("[ok](https://a.fr) [ko](javascript:alert(1)) [mail](mailto:a@b.fr)"))
    hrefs = [dict(attrs).get("href") for name, attrs in tags if name == "a"]
    assert "https://a.fr" in hrefs and "mailto:a@b.fr" in hrefs
    assert not any(h and h.startswith("javascript") for h in hrefs)


def test_empty_description_is_empty_markup():
    assert render_markdown("") == Markup("") and render_markdown(None) == Markup("")
