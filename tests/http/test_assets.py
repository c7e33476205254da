"""What the embed's scripts and style sheets lose on the way out: comments
and indentation, and nothing else."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from rostra.http.assets import STATIC, static_url, strip


@pytest.mark.parametrize(
    ("line", "served"),
    [
        ("a(); // why", "a();"),
        ('x = "https://a.example/"; // why', 'x = "https://a.example/";'),
        ("x = 'it''s'; // why", "x = 'it''s';"),
        ('s = "a\\"//b"; // why', 's = "a\\"//b";'),
        ("t = '\\\\'; // why", "t = '\\\\';"),
        # Left alone: a slash before the // may be a regular expression or a
        # division, and a template string may span lines.
        ("r = /a\\/\\//; // why", "r = /a\\/\\//; // why"),
        ("a / b; // why", "a / b; // why"),
        ("var C = /*counts*/{}/*end*/;", "var C = /*counts*/{}/*end*/;"),
        ("x = `//`; // why", "x = `//`; // why"),
        ("q = '//'", "q = '//'"),
        ('q = "//"', 'q = "//"'),
        ('u = "unclosed // string', 'u = "unclosed // string'),
    ],
)
def test_a_comment_ending_a_line_goes(line: str, served: str) -> None:
    assert strip("  " + line + "\n") == served + "\n"


def test_whole_line_comments_and_indentation_go() -> None:
    source = """// a comment line
/* a block
   of comment */
function f() {
    return 1; // one
}
.x { color: red; } /* kept: it ends a line of code */
"""
    assert strip(source) == (
        "function f() {\nreturn 1;\n}\n.x { color: red; } /* kept: it ends a line of code */\n"
    )


def test_style_sheets_are_served_without_comments(client: TestClient) -> None:
    source = (STATIC / "embed" / "thread.css").read_text("utf-8")
    url = static_url("embed/thread.css")
    r = client.get(url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/css")
    assert "immutable" in r.headers["cache-control"]
    assert "/*" not in r.text.split("\n", 1)[0]
    uncommented = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    assert r.text.count("{") == uncommented.count("{") and r.text.count("}") == uncommented.count(
        "}"
    )
    assert len(r.content) < len(source.encode())
    assert client.get(url, headers={"If-None-Match": r.headers["etag"]}).status_code == 304
    assert client.get("/static/embed/nothing.css").status_code == 404
