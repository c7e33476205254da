"""The embed: the loader script, the iframe page, and the no-JS thread pages.

``/embed.js`` runs on the publisher's page; ``/embed/thread`` is the page
inside the iframe (same origin as the API, so it needs no CORS and keeps its
bearer token in its own storage); ``/thread``, ``/thread/ID`` (one thread's
further replies) and ``/api/v1/comments.html`` serve readers and crawlers
without JavaScript.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)

from rostra.comments import locate, threads
from rostra.config import Settings
from rostra.embed import i18n, look
from rostra.embed.assets import loader_etag, loader_source
from rostra.embed.nojs import ThreadView
from rostra.http.assets import STATIC, module_source
from rostra.http.deps import ReadSession, SettingsDep
from rostra.http.pages import render
from rostra.http.security import content_security_policy
from rostra.sites import service as sites

router = APIRouter()

MAX_URL = 2048
PAGE_SIZE = 20
#: A deep link: open the thread at this comment.
DeepLink = Annotated[int | None, Query(ge=1, lt=2**62)]


@router.get("/embed.js", include_in_schema=False)
def embed_js(request: Request) -> Response:
    etag = loader_etag()
    headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(loader_source(), media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/static/embed/{name}.js", include_in_schema=False)
def embed_module(request: Request, name: str) -> Response:
    """The iframe's ES modules, with versioned imports (see assets.module_source).
    Other files under /static/embed are left to the static files mount."""
    source = module_source(name + ".js")
    if source is None:
        file = STATIC / "embed" / (name + ".js")
        if name == "loader" and file.is_file():
            return FileResponse(file, media_type="text/javascript; charset=utf-8")
        return Response(status_code=404)
    return _versioned(request, source, "text/javascript; charset=utf-8")


@router.get("/static/embed/{name}.css", include_in_schema=False)
def embed_style(request: Request, name: str) -> Response:
    """The embed's style sheets, without their comments, cached like the modules."""
    source = module_source(name + ".css")
    if source is None:
        return Response(status_code=404)
    return _versioned(request, source, "text/css; charset=utf-8")


def _versioned(request: Request, source: bytes, media_type: str) -> Response:
    digest = hashlib.sha256(source).hexdigest()
    etag = f'"{digest[:16]}"'
    # The current version's URL never changes content; any other is revalidated.
    current = request.query_params.get("v") == digest[:10]
    cache = "public, max-age=31536000, immutable" if current else "no-cache"
    headers = {"ETag": etag, "Cache-Control": cache}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(source, media_type=media_type, headers=headers)


def _part_strings(part: str, lang: str) -> bytes:
    return json.dumps(i18n.part_strings(part, lang), ensure_ascii=False).encode()


def _auth_strings_url(lang: str) -> str:
    digest = hashlib.sha256(_part_strings("auth", lang)).hexdigest()[:10]
    return f"/embed/strings/auth.{lang}.json?v={digest}"


@router.get("/embed/strings/{part}.{lang}.json", include_in_schema=False)
def embed_part_strings(request: Request, part: str, lang: str) -> Response:
    """The strings of a part loaded on demand (i18n.PARTS: the sign-in forms,
    the social part, the moderation part), fetched by its module when it loads."""
    if part not in i18n.PARTS:
        return Response(status_code=404)
    return _versioned(request, _part_strings(part, i18n.language(lang)), "application/json")


@router.get("/embed/look", include_in_schema=False)
def embed_look(
    theme: Annotated[str, Query(max_length=10)] = "",
    bg: Annotated[str, Query(max_length=100)] = "",
    fg: Annotated[str, Query(max_length=100)] = "",
    accent: Annotated[str, Query(max_length=200)] = "",
    font: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    """The iframe's look again, for a host page that changed its own (see embed/look.py)."""
    body = look.read(theme=theme, bg=bg, fg=fg, accent=accent, font_family=font)
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})


@router.get("/embed/thread", include_in_schema=False)
def embed_thread(
    request: Request,
    db: ReadSession,
    settings: SettingsDep,
    url: Annotated[str, Query(max_length=MAX_URL)],
    title: Annotated[str, Query(max_length=500)] = "",
    lang: Annotated[str, Query(max_length=35)] = "en",
    origin: Annotated[str, Query(max_length=300)] = "",
    theme: Annotated[str, Query(max_length=10)] = "",
    bg: Annotated[str, Query(max_length=100)] = "",
    fg: Annotated[str, Query(max_length=100)] = "",
    accent: Annotated[str, Query(max_length=200)] = "",
    font: Annotated[str, Query(max_length=1000)] = "",
    comment: DeepLink = None,
) -> Response:
    site = sites.site_of(db, url)
    origins = list(site.origins) if site else []
    language = i18n.language(lang)
    config: dict[str, Any] = {
        "url": url,
        "hostUrl": url,
        "title": title,
        "lang": language,
        # The iframe posts (resize, counts) only to a host origin of this site.
        "origin": origin if origin in origins else None,
        "maxLength": settings.max_comment_length,
        "maxDepth": settings.max_display_depth,
        "pageSize": PAGE_SIZE,
        "strings": i18n.page_strings(language),
        "authStrings": _auth_strings_url(language),
        # The host page's look (embed/look.py checks every value).
        "look": look.read(theme=theme, bg=bg, fg=fg, accent=accent, font_family=font),
    }
    noscript = {"url": url, "lang": language}
    if comment is not None:
        # A deep link (ARTICLE#rostra-comment-ID): social.js opens the thread there.
        config["comment"] = comment
        noscript["comment"] = str(comment)
    csp = content_security_policy(["'self'", *origins])
    return render(
        request,
        "embed/thread.html",
        {
            "config": _json_for_html(config),
            "lang": language,
            "look": config["look"],
            "s": i18n.strings(language),
            "noscript_url": "/thread?"
            + urlencode(noscript)
            + (f"#comment-{comment}" if comment is not None else ""),
        },
        headers={"Content-Security-Policy": csp, "Cache-Control": "no-cache"},
    )


def _json_for_html(value: Any) -> Markup:
    """JSON safe inside <script type="application/json">: no "</script>" can close it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 (escaped above for this context: JSON in a script block)


# --- without JavaScript: a page for readers and crawlers, a fragment for publishers ---

Sort = Literal["newest", "oldest", "top"]


def _thread_context(
    db: Session,
    settings: Settings,
    url: str,
    sort: str,
    cursor: str | None,
    lang: str,
    limit: int,
    base: str,
) -> dict[str, Any]:
    page = threads.page(db, settings, url, sort, limit, cursor, None)
    ui = ThreadView.build(lang, base, page["comments"])
    more = None
    if page["next_cursor"]:
        more = (
            base
            + "?"
            + urlencode({"url": url, "sort": sort, "cursor": page["next_cursor"], "lang": ui.lang})
        )
    return {"page": page, "ui": ui, "more_url": more}


@router.get("/thread", include_in_schema=False)
def thread_page(
    request: Request,
    db: ReadSession,
    settings: SettingsDep,
    url: Annotated[str, Query(max_length=MAX_URL)],
    sort: Sort = "oldest",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    lang: Annotated[str, Query(max_length=35)] = "en",
    comment: DeepLink = None,
) -> Response:
    """The story's comments as a plain page: the snippet's <noscript> link, and search engines."""
    if comment is not None:
        return RedirectResponse(_deep_link(db, url, sort, lang, comment), status_code=303)
    context = _thread_context(db, settings, url, sort, cursor, lang, PAGE_SIZE, "/thread")
    story_url = context["page"]["story"]["url"]
    canonical = settings.public_url + "/thread?" + urlencode({"url": story_url})
    return render(
        request,
        "story/thread.html",
        {**context, "canonical": canonical},
        headers={"Cache-Control": "public, max-age=30"},
    )


def _deep_link(db: Session, url: str, sort: str, lang: str, comment_id: int) -> str:
    """The no-JS page that shows one comment, at it (``#comment-ID``: the
    page's :target style highlights it): the story's page holding its
    thread, or the thread's own page of replies holding it. A comment
    hidden from readers (held, rejected, gone) opens the first page."""
    where = locate.place(db, comment_id, sort, PAGE_SIZE)
    if where is None:
        return "/thread?" + urlencode({"url": url, "sort": sort, "lang": lang})
    here = f"#comment-{where.comment_id}"
    if where.replies_cursor:
        query = urlencode({"cursor": where.replies_cursor, "lang": lang})
        return f"/thread/{where.thread_id}?{query}{here}"
    page: dict[str, str] = {"url": where.story_url, "sort": sort, "lang": lang}
    if where.story_cursor:
        page["cursor"] = where.story_cursor
    return "/thread?" + urlencode(page) + here


@router.get(
    "/api/v1/comments.html",
    tags=["comments"],
    response_class=HTMLResponse,
    summary="The first page of a thread as an HTML fragment, for pages without JavaScript",
)
def comments_fragment(
    request: Request,
    db: ReadSession,
    settings: SettingsDep,
    url: Annotated[str, Query(max_length=MAX_URL)],
    sort: Sort = "oldest",
    limit: Annotated[int, Query(ge=1, le=100)] = PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    lang: Annotated[str, Query(max_length=35)] = "en",
) -> Response:
    """The first page of a story's thread as an HTML fragment a publisher can
    include server-side (for readers without JavaScript and for search engines).
    Comment HTML is sanitized; names are escaped."""
    context = _thread_context(
        db, settings, url, sort, cursor, lang, limit, settings.public_url + "/thread"
    )
    return render(
        request, "story/fragment.html", context, headers={"Cache-Control": "public, max-age=30"}
    )


@router.get("/thread/{comment_id}", include_in_schema=False)
def thread_replies_page(
    request: Request,
    db: ReadSession,
    settings: SettingsDep,
    comment_id: int,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    lang: Annotated[str, Query(max_length=35)] = "en",
) -> Response:
    """One thread as a plain page: its top-level comment and a page of its
    replies, for a thread on /thread with more replies than it shows."""
    data = threads.thread(db, settings, comment_id, cursor)
    ui = ThreadView.build(lang, "/thread", [data["comment"]])
    here = f"/thread/{comment_id}"
    canonical = settings.public_url + here + ("?" + urlencode({"cursor": cursor}) if cursor else "")
    context = {
        "thread": data,
        "ui": ui,
        "canonical": canonical,
        "all_url": "/thread?" + urlencode({"url": data["story"]["url"], "lang": ui.lang}),
        "next_url": ui.thread_url(comment_id, data["next_cursor"]) if data["next_cursor"] else None,
    }
    return render(
        request, "story/replies.html", context, headers={"Cache-Control": "public, max-age=30"}
    )
