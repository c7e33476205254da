"""Reading threads: a page of top-level comments with their replies nested.

A page costs a fixed number of queries whatever its size: the top-level
comments, the first replies of all their threads (one windowed query), the
authors, and the viewer's likes. Nesting happens here, in Python.

What is stored is the true tree (``parent_id``, ``depth``); what is sent is
the tree as shown, nested at most ``ROSTRA_MAX_DISPLAY_DEPTH`` levels under a
top-level comment (``hang``). The JSON, the no-JS page and the HTML fragment
all take their shape from here, and the embed places the replies it adds
(its reader's own, further pages) by the same rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from rostra.comments import cursors, repository
from rostra.comments.service import edit_window
from rostra.comments.views import JSON, Presenter, encode, reply_to
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.errors import InvalidUrl, NotFound
from rostra.http.conditional import compress, etag_of
from rostra.models import Comment, CommentStatus, User
from rostra.moderation import service as moderation
from rostra.sites import service as sites
from rostra.stories import service as stories
from rostra.stories.cache import Page, StoryPages
from rostra.stories.views import no_story, story
from rostra.urls import normalise

REPLIES_PER_THREAD = 50


def presenter(
    db: Session, settings: Settings, viewer: User | None, rows: Sequence[Comment]
) -> Presenter:
    viewer_id = viewer.id if viewer else None
    authors = repository.authors(
        db,
        (
            r.author_id
            for r in rows
            if r.author_id is not None and r.status != CommentStatus.DELETED
        ),
    )
    liked = repository.liked_by(db, viewer_id, (r.id for r in rows)) if viewer_id else set()
    blocked = repository.blocked_among(db, viewer_id, authors) if viewer_id else frozenset()
    # Rows are of one story: its site's roles give the staff badges, its
    # settings the edit window.
    site_id = stories.site_id_of(db, rows[0].story_id) if rows else None
    staff = (
        moderation.staff_among(db, site_id, authors)
        if authors and site_id is not None
        else frozenset()
    )
    window = settings.edit_window_seconds
    if viewer_id is not None and site_id is not None:
        window = edit_window(settings, sites.by_id(db, site_id))
    return Presenter(viewer_id, authors, liked, utcnow(), window, blocked, staff)


def cached_page(
    db: Session,
    settings: Settings,
    pages: StoryPages,
    url: str,
    sort: str,
    limit: int,
    cursor: str | None,
) -> tuple[int | None, Page]:
    """A page of a story's threads as every reader sees it (no viewer state),
    encoded and gzipped, from the story's page cache when it holds it (see
    ``rostra.stories.cache``); and the story's id (None before its first
    comment). The body ends with ``"viewer":null}``, where a signed-in
    reader's overlay goes (``rostra.http.conditional.private_page``).
    Concurrent misses of one page build it once."""
    if cursor is not None:
        cursors.decode(cursor, sort)  # a bad cursor is refused before any lookup
    normalised = normalise(url)
    story_id = pages.story_id(normalised)
    if story_id is None:
        story_id = stories.id_by_url(db, normalised)
        if story_id is None:
            return None, _page(encode(page(db, settings, url, sort, limit, cursor, None)))
        pages.remember_story_id(normalised, story_id)
    key = pages.page_key(story_id, sort, limit, cursor)  # before reading the rows
    if key is None:
        return story_id, _page(encode(page(db, settings, url, sort, limit, cursor, None)))
    found = pages.get(key)
    if found is not None:
        return story_id, found
    with pages.building(key):
        found = pages.get(key)  # built by another request meanwhile
        if found is None:
            # End the read transaction that found the id: the page must come
            # from a snapshot taken after the generation was read.
            db.rollback()
            found = _page(encode(page(db, settings, url, sort, limit, cursor, None)))
            pages.put(key, found)
    return story_id, found


def warm_page(pages: StoryPages, url: str, sort: str, limit: int) -> Page | None:
    """A first page as every reader sees it, if the cache holds it (no
    database: for the lean front, ``rostra.http.front``)."""
    warm = warm_story_page(pages, url, sort, limit)
    return warm[1] if warm is not None else None


def warm_story_page(pages: StoryPages, url: str, sort: str, limit: int) -> tuple[int, Page] | None:
    """``warm_page`` and its story's id."""
    try:
        normalised = normalise(url)
    except InvalidUrl:
        return None
    story_id = pages.story_id(normalised)
    key = pages.page_key(story_id, sort, limit) if story_id is not None else None
    page = pages.get(key) if key is not None else None
    return (story_id, page) if story_id is not None and page is not None else None


def _page(body: bytes) -> Page:
    return Page(body, etag_of(body), compress(body))


#: The most comments of each kind (their own, liked) an overlay names.
OVERLAY_LIMIT = 5000


def overlay(db: Session, settings: Settings, story_id: int | None, viewer: User) -> JSON:
    """The reader's own state in a story, laid by the client over the shared
    pages (``CommentPage.viewer``): the ids they like, their visible comments
    with what only an author sees, and their held (pending, rejected)
    comments whole. One query (``repository.viewer_rows``)."""
    rows = (
        [] if story_id is None else repository.viewer_rows(db, story_id, viewer.id, OVERLAY_LIMIT)
    )
    window, staff = settings.edit_window_seconds, frozenset[int]()
    if story_id is not None and rows:
        # The site's edit window and badge, as the reader's other views of
        # their comments say (a changed window reaches a kept overlay within
        # its OVERLAY_TTL; the server refuses a late edit in any case).
        site_id = stories.site_id_of(db, story_id)
        window = edit_window(settings, sites.by_id(db, site_id))
        staff = moderation.staff_among(db, site_id, [viewer.id])
    show = Presenter(viewer.id, {viewer.id: viewer}, set(), utcnow(), window, staff=staff)
    liked: list[int] = []
    blocked: list[int] = []
    mine: list[JSON] = []
    held: list[JSON] = []
    for kind, row_id, row in rows:
        if kind == repository.LIKED:
            liked.append(row_id)
        elif kind == repository.BLOCKED:
            blocked.append(row_id)
        elif row is None:  # pragma: no cover - deleted between the halves
            continue
        elif row.status in repository.PUBLIC_STATUSES:
            own = show.comment(row)
            mine.append({k: own[k] for k in ("id", "body", "editable_until")})
        else:
            held.append(show.comment(row))
    held.reverse()  # oldest first, as replies are listed
    return {"id": viewer.id, "liked": liked, "mine": mine, "held": held, "blocked": blocked}


def page(
    db: Session,
    settings: Settings,
    url: str,
    sort: str,
    limit: int,
    cursor: str | None,
    viewer: User | None,
) -> JSON:
    """``GET /comments``: the story and one page of its threads; the first
    page starts with the story's featured top-level comments (``is_featured``),
    beyond ``limit``."""
    after = cursors.decode(cursor, sort) if cursor else None
    normalised = normalise(url)
    row = stories.by_url(db, normalised)
    if row is None:
        stories.resolve(db, normalised)  # an unknown site is an error, a new article is not
        return {
            "story": no_story(normalised),
            "comments": [],
            "next_cursor": None,
            "viewer": None,
        }
    viewer_id = viewer.id if viewer else None
    tops = repository.top_level(db, row.id, sort, limit + 1, after, viewer_id)
    next_cursor = None
    if len(tops) > limit:
        tops = tops[:limit]
        last = tops[-1]
        next_cursor = cursors.encode(
            sort, last.like_count if sort == "top" else last.created_at, last.id
        )
    if after is None:
        # Editors' picks come first, whatever the order, and only there: the
        # ordinary order (and its cursors) leaves them out.
        tops = [*repository.featured_tops(db, row.id), *tops]
    replies = repository.first_replies(db, [t.id for t in tops], REPLIES_PER_THREAD + 1, viewer_id)
    show = presenter(db, settings, viewer, [*tops, *replies])
    comments = _nest(show, settings.max_display_depth, tops, replies)
    return {"story": story(row), "comments": comments, "next_cursor": next_cursor, "viewer": None}


def _nest(
    show: Presenter, cap: int, tops: Sequence[Comment], replies: Sequence[Comment]
) -> list[JSON]:
    roots: dict[int, JSON] = {t.id: show.comment(t) for t in tops}
    by_thread: dict[int, list[Comment]] = {}
    for reply in replies:
        by_thread.setdefault(reply.thread_id or 0, []).append(reply)
    for thread_id, rows in by_thread.items():
        root = roots[thread_id]
        if len(rows) > REPLIES_PER_THREAD:
            rows = rows[:REPLIES_PER_THREAD]
            root["replies_cursor"] = cursors.encode("replies", rows[-1].created_at, rows[-1].id)
        hang(show, cap, root, rows)
    return [roots[t.id] for t in tops]


def hang(
    show: Presenter,
    cap: int,
    root: JSON,
    rows: Sequence[Comment],
    elsewhere: Mapping[int, str | None] | None = None,
) -> None:
    """Hang replies of one thread (oldest first) under its top-level comment
    ``root``, as they are shown.

    A reply goes into its parent's ``replies`` while the parent is fewer than
    ``cap`` levels below the top. Under a parent at the deepest level it goes
    beside the parent, into the list that holds the parent; a reply whose
    parent is not among ``rows`` (hidden from this viewer, or on an earlier
    page) goes under ``root``. Those two carry ``reply_to``, named from
    ``elsewhere`` (parent id → author name) when the parent is not here.
    """
    nodes: dict[int, JSON] = {root["id"]: root}
    for r in rows:
        nodes[r.id] = show.comment(r)
    level = {root["id"]: 0}
    holder: dict[int, JSON] = {}
    # By depth, so that a parent is placed before its replies even when an
    # import gave it a later timestamp; the lists are filled in row order below.
    for r in sorted(rows, key=lambda r: r.depth):
        node, parent_id = nodes[r.id], r.parent_id or 0
        if parent_id not in level:
            holder[r.id], level[r.id] = root, 1
            name = (elsewhere or {}).get(parent_id)
            node["reply_to"] = reply_to(parent_id, name) if parent_id else None
        elif level[parent_id] < cap:
            holder[r.id], level[r.id] = nodes[parent_id], level[parent_id] + 1
        else:
            holder[r.id], level[r.id] = holder[parent_id], cap
            node["reply_to"] = reply_to(parent_id, _author_name(nodes[parent_id]))
    for r in rows:
        holder[r.id]["replies"].append(nodes[r.id])


def _author_name(node: JSON) -> str | None:
    author: JSON | None = node["author"]
    return None if author is None else str(author["display_name"])


def _thread_rows(
    db: Session, comment_id: int, cursor: str | None, limit: int, viewer_id: int | None
) -> tuple[Comment, list[Comment], str | None]:
    after = cursors.decode(cursor, "replies") if cursor else None
    root = repository.get(db, comment_id)
    if root is None or root.depth != 0 or not repository.is_visible(root, viewer_id):
        raise NotFound("No such top-level comment.")
    rows = repository.replies_after(db, root.id, after, limit + 1, viewer_id)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursors.encode("replies", rows[-1].created_at, rows[-1].id)
    return root, rows, next_cursor


def _parents(
    db: Session, root: Comment, rows: Sequence[Comment], viewer_id: int | None
) -> dict[int, Comment]:
    """The parents of ``rows`` that this viewer can see, by id: those among
    the rows, the top-level comment, and those on earlier pages (one query)."""
    known = {root.id: root, **{r.id: r for r in rows}}
    missing = {r.parent_id for r in rows if r.parent_id is not None} - known.keys()
    for p in repository.by_ids(db, missing):
        if repository.is_visible(p, viewer_id):
            known[p.id] = p
    return known


def replies(
    db: Session,
    settings: Settings,
    comment_id: int,
    cursor: str | None,
    limit: int,
    viewer: User | None,
) -> JSON:
    """``GET /comments/{id}/replies``: more of one thread, flat, oldest first.

    Flat, for a client that places them into the thread it shows: each has
    ``parent_id``, and ``reply_to`` when it will not go under its parent
    (deeper than the display depth, or answering a comment hidden from the
    viewer). The list is the same for every reader, with the signed-in
    reader's ``viewer`` overlay beside it; only the author of a held
    top-level comment is answered its thread as they see it.
    """
    shown_as: User | None = None
    try:
        root, rows, next_cursor = _thread_rows(db, comment_id, cursor, limit, None)
    except NotFound:
        if viewer is None:
            raise
        shown_as = viewer
        root, rows, next_cursor = _thread_rows(db, comment_id, cursor, limit, viewer.id)
    viewer_id = shown_as.id if shown_as else None
    parents = _parents(db, root, rows, viewer_id)
    show = presenter(db, settings, shown_as, [*rows, *parents.values()])
    out = []
    for r in rows:
        node = show.comment(r)
        parent = parents.get(r.parent_id or 0)
        if parent is None:
            node["reply_to"] = reply_to(r.parent_id or 0, None)
        elif r.depth > settings.max_display_depth:
            node["reply_to"] = reply_to(parent.id, show.name(parent))
        out.append(node)
    lay = overlay(db, settings, root.story_id, viewer) if viewer is not None else None
    return {"replies": out, "next_cursor": next_cursor, "viewer": lay}


def thread(db: Session, settings: Settings, comment_id: int, cursor: str | None) -> JSON:
    """One thread for readers without JavaScript: its story, its top-level
    comment with one page of replies hung under it (``hang``), and the cursor
    of the next page. Replies whose parent is on an earlier page say whom
    they answer."""
    root, rows, next_cursor = _thread_rows(db, comment_id, cursor, REPLIES_PER_THREAD, None)
    parents = _parents(db, root, rows, None)
    show = presenter(db, settings, None, [*rows, *parents.values()])
    node = show.comment(root)
    elsewhere = {i: show.name(p) for i, p in parents.items()}
    hang(show, settings.max_display_depth, node, rows, elsewhere)
    return {
        "story": story(stories.get(db, root.story_id)),
        "comment": node,
        "next_cursor": next_cursor,
    }
