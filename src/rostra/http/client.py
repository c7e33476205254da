"""The client's address, believing X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

from fastapi import Request


def client_address(request: Request) -> str:
    peer = request.client.host if request.client else "unknown"
    trusted = {
        p.strip() for p in request.app.state.settings.trusted_proxies.split(",") if p.strip()
    }
    if peer in trusted:
        forwarded = request.headers.get("x-forwarded-for", "")
        # The right-most address not added by one of our proxies is the client.
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if hop not in trusted:
                return hop
    return peer
