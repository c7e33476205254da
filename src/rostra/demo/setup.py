"""Keeps the `demo` site configured when the demo news site is on."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from rostra.config import Settings
from rostra.sites import service
from rostra.urls import origin_of


def demo_origins(settings: Settings) -> list[str]:
    own = origin_of(settings.public_url)
    parts = urlsplit(own)
    port = f":{parts.port}" if parts.port else ""  # origin_of dropped a default port
    return sorted({own, *(f"{parts.scheme}://{host}{port}" for host in ("127.0.0.1", "localhost"))})


def ensure_demo_site(db: Session, settings: Settings) -> None:
    site = service.by_name(db, "demo")
    if site is None:
        taken = service.all_origins(db)
        origins = [o for o in demo_origins(settings) if o not in taken]
        if origins:
            service.add_site(db, "demo", origins, title="The Brennock Courier (demo)")
