"""What a request says about its client: its address (believing
X-Forwarded-For only from trusted proxies) and its user agent."""

from __future__ import annotations

from fastapi import Request

from rostra.config import Settings


def client_address(request: Request, settings: Settings) -> str:
    peer = request.client.host if request.client else "unknown"
    trusted = {p.strip() for p in settings.trusted_proxies.split(",") if p.strip()}
    if peer in trusted:
        forwarded = request.headers.get("x-forwarded-for", "")
        # The right-most address not added by one of our proxies is the client.
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if hop not in trusted:
                return hop
    return peer


def user_agent(request: Request) -> str:
    """The User-Agent header as kept with a sign-in: printable, at most 255 characters."""
    agent = request.headers.get("user-agent", "")
    return "".join(c for c in agent if c.isprintable())[:255]
