"""Markdown in, inert HTML out, whatever a hostile reader types."""

from __future__ import annotations

import pytest

from rostra.comments.render import render
from tests.factories import assert_inert


def test_markdown_subset() -> None:
    html = render(
        "Hello *world* and **you**, `x < y`\n\n> quoted\n\n- one\n- two\n\n"
        "3. three\n4. four\n\n```\ncode <b>\n```"
    )
    assert "<em>world</em>" in html and "<strong>you</strong>" in html
    assert "<code>x &lt; y</code>" in html
    assert "<blockquote>" in html and "<ul>" in html and '<ol start="3">' in html
    assert "<pre><code>code &lt;b&gt;\n</code></pre>" in html
    assert_inert(html)


def test_links_get_rel_and_target() -> None:
    html = render("[site](https://example.org/a?b=1&c=2)")
    assert html == (
        '<p><a href="https://example.org/a?b=1&amp;c=2" target="_blank" '
        'rel="nofollow ugc noopener">site</a></p>'
    )


def test_hard_break() -> None:
    assert render("one  \ntwo") == "<p>one<br>\ntwo</p>"


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](jav&#x09;ascript:alert(1))",
        "[x](jav&#x0A;ascript:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](java\\script:alert(1))",
        "[x]( javascript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](vbscript:msgbox(1))",
        "[x](VBScript:msgbox(1))",
        "[x](file:///etc/passwd)",
        "<javascript:alert(1)>",
        "<http://example.org>",
        "![img](http://tracker.example/pixel.gif)",
        "[x][ref]\n\n[ref]: javascript:alert(1)",
        "<iframe src=http://evil.example></iframe>",
        '<div style="position:fixed">x</div>',
        "<!-- comment --> <svg onload=alert(1)>",
        "# Heading\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        "[x](/relative/path) [y](//evil.example/x)",
        "`<script>`\n\n    <script>indented</script>",
    ],
)
def test_hostile_input_is_inert(body: str) -> None:
    assert_inert(render(body))


def test_raw_html_shown_as_text() -> None:
    assert render("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"


def test_no_headings_images_or_rules() -> None:
    html = render("# Big\n\n---\n\n![alt](https://example.org/a.png)")
    assert "<h1" not in html and "<hr" not in html and "<img" not in html


def test_deep_nesting_is_capped() -> None:
    # Pathological inputs render (no recursion error) with nesting capped.
    # Their speed is measured, not asserted: see benchmarks/.
    for body in (
        "> " * 1000 + "deep",
        "- " * 1000 + "deep",
        "1. " * 1000 + "deep",
        ">" * 5000,
        "[" * 5000 + "](x)",
        "*" * 5000,
        "`" * 5000,
        "*a" * 2500,
    ):
        html = render(body)
        assert html.count("<blockquote>") <= 20
        assert_inert(html)


def test_huge_list_renders() -> None:
    html = render("- item\n" * 2500)
    assert html.count("<li>") == 2500
