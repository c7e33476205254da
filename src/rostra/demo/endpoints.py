"""The demo news site (The Brennock Courier), served when ``settings.demo`` is on.

It is a publisher's site like any other: its pages carry the same snippet a
publisher pastes, and its toy subscriber login shows SSO end to end.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from rostra.config import Settings
from rostra.demo.articles import ARTICLES, BY_SLUG, Article
from rostra.errors import Invalid, NotFound
from rostra.http.deps import RateLimits, ReadSession, SettingsDep
from rostra.http.pages import render
from rostra.sites import service as sites
from rostra.sso.service import make_token
from rostra.text import check_text

router = APIRouter(include_in_schema=False)
COOKIE = "courier_subscriber"
SSO_STORY = Article(
    slug="sso",
    section="Subscribers",
    title="Subscribers' corner: what should the Courier cover next?",
    standfirst="",
    byline="The editors",
    published=ARTICLES[0].published,
    paragraphs=(),
)


async def _demo_settings(settings: SettingsDep) -> Settings:
    if not settings.demo:
        raise NotFound("The demo site is switched off (ROSTRA_DEMO=false).")
    return settings


#: The settings, on a server that serves the demo (404 otherwise).
DemoSettings = Annotated[Settings, Depends(_demo_settings)]


def _lang(request: Request) -> str:
    return "uk" if request.query_params.get("lang") == "uk" else "en"


def _view(article: Article, settings: Settings, path: str) -> dict[str, Any]:
    return {
        "a": article,
        "path": path,
        "title": article.title,
        "section": article.section,
        "standfirst": article.standfirst,
        "byline": article.byline,
        "published": article.published,
        "paragraphs": article.paragraphs,
        "canonical": settings.public_url + path,
    }


def _page(request: Request, name: str, **context: Any) -> Response:
    lang = _lang(request)
    return render(
        request,
        name,
        {
            "lang": lang,
            "lang_query": "?lang=uk" if lang == "uk" else "",
            "rostra_base": "",
            **context,
        },
    )


@router.get("/")
def front_page(request: Request, settings: DemoSettings) -> Response:
    articles = [_view(a, settings, f"/demo/articles/{a.slug}") for a in ARTICLES]
    return _page(request, "demo/index.html", articles=articles)


@router.get("/demo/articles/{slug}")
def article_page(slug: str, request: Request, settings: DemoSettings) -> Response:
    article = BY_SLUG.get(slug)
    if article is None:
        raise NotFound("No such demo article.")
    return _page(
        request,
        "demo/article.html",
        a=_view(article, settings, f"/demo/articles/{slug}"),
        sso_token=None,
    )


# --- the toy publisher login (SSO demo) -------------------------------------


def _sign(settings: Settings, payload: bytes) -> str:
    return hmac.new(settings.secret_key.encode(), payload, hashlib.sha256).hexdigest()


def _subscriber(request: Request, settings: Settings) -> dict[str, str] | None:
    raw = request.cookies.get(COOKIE, "")
    data, _, mac = raw.rpartition(".")
    try:
        payload = base64.urlsafe_b64decode(data.encode())
    except ValueError:
        return None
    if not data or not hmac.compare_digest(mac, _sign(settings, payload)):
        return None
    user: dict[str, str] = json.loads(payload)
    return user


@router.get("/demo/sso")
def sso_page(request: Request, db: ReadSession, settings: DemoSettings) -> Response:
    user = _subscriber(request, settings)
    token = None
    site = sites.by_name(db, "demo")
    if user and site:
        # What a publisher's backend does on every page view: sign a fresh,
        # short-lived token describing its signed-in user.
        subject = "courier-" + hashlib.sha256(user["email"].encode()).hexdigest()[:16]
        token = make_token(site.sso_secret, subject, email=user["email"], name=user["name"])
    return _page(
        request,
        "demo/sso.html",
        a=_view(SSO_STORY, settings, "/demo/sso"),
        publisher_user=user,
        sso_token=token,
    )


MAX_NAME = 80
MAX_EMAIL = 320


@router.post("/demo/sso")
def sso_login(
    settings: DemoSettings,
    limits: RateLimits,
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
) -> Response:
    """The toy publisher's login: any name and address, nothing checked but their form."""
    # Fields are checked here, not by Form(max_length=…), so that with the
    # demo off the answer is a 404 whatever was posted.
    limits.enforce("login", limits.address)
    name = " ".join(check_text(name, "name").split()) or "Subscriber"
    email = check_text(email, "email").strip().lower()
    if len(name) > MAX_NAME:
        raise Invalid(f"The name is longer than {MAX_NAME} characters.", field="name")
    if not email or len(email) > MAX_EMAIL or "@" not in email or any(c.isspace() for c in email):
        raise Invalid(f"Give an email address of at most {MAX_EMAIL} characters.", field="email")
    user = {"name": name, "email": email}
    payload = json.dumps(user).encode()
    response = RedirectResponse("/demo/sso", status_code=303)
    value = base64.urlsafe_b64encode(payload).decode() + "." + _sign(settings, payload)
    response.set_cookie(COOKIE, value, httponly=True, samesite="lax", max_age=86400)
    return response


@router.post("/demo/sso/logout")
def sso_logout(_: DemoSettings) -> Response:
    response = RedirectResponse("/demo/sso", status_code=303)
    response.delete_cookie(COOKIE)
    return response
