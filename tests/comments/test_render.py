"""Markdown in, inert HTML out, whatever a hostile reader types."""

from __future__ import annotations

import pytest

from rostra.comments.render import render, shows_text
from tests.factories import assert_inert

REL = 'target="_blank" rel="nofollow ugc noopener"'


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


def test_enter_starts_a_new_line() -> None:
    assert render("Line one\nLine two") == "<p>Line one<br>\nLine two</p>"
    assert render("Line one\r\nLine two".replace("\r\n", "\n")) == "<p>Line one<br>\nLine two</p>"
    assert render("one\ntwo\nthree") == "<p>one<br>\ntwo<br>\nthree</p>"
    # A blank line is still a new paragraph; a backslash break is still one break.
    assert render("one\n\ntwo") == "<p>one</p>\n<p>two</p>"
    assert render("one\\\ntwo") == "<p>one<br>\ntwo</p>"
    # Inside quotes and list items too.
    assert render("> a\n> b") == "<blockquote>\n<p>a<br>\nb</p>\n</blockquote>"
    assert render("- a\n  b") == "<ul>\n<li>a<br>\nb</li>\n</ul>"


def test_code_keeps_its_newlines() -> None:
    assert render("```\na\nb\n```") == "<pre><code>a\nb\n</code></pre>"
    assert render("    a\n    b") == "<pre><code>a\nb\n</code></pre>"
    assert "<br>" not in render("```\nx\n\ny\n```")


def test_bare_addresses_become_links() -> None:
    assert render("see https://example.org/x?a=1&b=2 now") == (
        f'<p>see <a href="https://example.org/x?a=1&amp;b=2" {REL}>'
        "https://example.org/x?a=1&amp;b=2</a> now</p>"
    )
    assert render("http://example.org.") == (
        f'<p><a href="http://example.org" {REL}>http://example.org</a>.</p>'
    )
    assert render("(www.example.org/a)") == (
        f'<p>(<a href="http://www.example.org/a" {REL}>www.example.org/a</a>)</p>'
    )
    # Underscores in an address are not emphasis.
    assert render("https://example.org/a_b_c") == (
        f'<p><a href="https://example.org/a_b_c" {REL}>https://example.org/a_b_c</a></p>'
    )
    # A Markdown link's own text is not linked again.
    assert render("[https://a.example](https://b.example)") == (
        f'<p><a href="https://b.example" {REL}>https://a.example</a></p>'
    )


@pytest.mark.parametrize(
    "body",
    [
        "write to olena@example.org",
        "olena@www.example.org",
        "ftp://example.org/file",
        "//example.org/a",
        "mailto:olena@example.org",
        "config.py or example.org in a sentence",
        "javascript:alert(1) and javascript://example.org/%0Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "`https://example.org/in-code`",
        "```\nhttps://example.org/in-a-block\n```",
        "    https://example.org/indented-code",
    ],
)
def test_what_is_not_linked(body: str) -> None:
    html = render(body)
    assert "<a" not in html, html
    assert_inert(html)


def test_images_are_links_never_img() -> None:
    assert render("![a cat](https://example.org/cat.png)") == (
        f'<p><a href="https://example.org/cat.png" {REL}>a cat</a></p>'
    )
    # With no alt text the address itself is the link's text.
    assert render("![](https://example.org/cat.png)") == (
        f'<p><a href="https://example.org/cat.png" {REL}>https://example.org/cat.png</a></p>'
    )
    # No address: the alt text alone; inside a link: the alt text, once.
    assert render("![a cat]()") == "<p>a cat</p>"
    assert render("![]()") == "<p></p>"
    assert render("[![a cat](https://example.org/c.png)](https://example.org/page)") == (
        f'<p><a href="https://example.org/page" {REL}>a cat</a></p>'
    )
    for hostile in (
        "![x](javascript:alert(1))",
        "![x](data:image/png;base64,iVBORw0KGgo=)",
        '![x" onerror="alert(1)](https://example.org/a.png)',
        "![<script>alert(1)</script>](https://example.org/a.png)",
        '![x](https://example.org/a.png "title"onload=alert(1))',
    ):
        html = render(hostile)
        assert "<img" not in html and "<script" not in html, html
        assert_inert(html)


@pytest.mark.parametrize(
    "body",
    [
        "&nbsp;",
        "&nbsp;&nbsp;\n\n&#160;",
        "\u00a0\u2003\u3000\u205f",
        "\u3164",
        "\u115f\u1160\uffa0",
        "\u2800\u2800",
        "\u0301\u0302\u0303",
        "\ufe0f\U000e0100",
        "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202e\u2066\u180e",
        "\U000e0041\U000e0042",
        "[](https://example.org)",
        "![]()",
        "[]()",
        "> " * 10,
        ">" * 3000,
        "- \n- \n-",
        "**\u200b** _\u2060_",
        "`\u200b`",
        "&zwnj;&shy;",
    ],
)
def test_what_shows_nothing(body: str) -> None:
    assert not shows_text(render(body))


@pytest.mark.parametrize(
    "body",
    [
        "x",
        ".",
        "😀",
        "❤️",
        "漢",
        "ㄱ",
        "é",
        "e\u0301",
        "\u00a0x\u00a0",
        "&amp;",
        "&lt;",
        "[a](https://example.org)",
        "![](https://example.org/cat.png)",
        "> quoted",
        "`0`",
        "\U000f0000",  # private use: a box at least
    ],
)
def test_what_shows_something(body: str) -> None:
    assert shows_text(render(body))


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
        'https://evil.example/"onmouseover="alert(1)',
        "https://evil.example/'><script>alert(1)</script>",
        "www.evil.example/<img src=x onerror=alert(1)>",
        'https://evil.example/#"><svg onload=alert(1)>',
        "https://evil.example/javascript:alert(1)",
        "javascript:https://evil.example/",
        "https://evil.example/%0Ajavascript:alert(1)",
        "https://user:pass@evil.example/",
        "https://xn--80ak6aa92e.example/ and https://\u0430\u0440\u0440\u04cf\u0435.example/",
        "[https://a.example](javascript:alert(1))",
        "![https://a.example](javascript:alert(1))",
        "https://" + "a." * 2000 + "example",
        "www." * 1250,
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
