"""Placeholder; replaced by the embed work (CSP, frame-ancestors, CORS)."""

from fastapi import FastAPI

from rostra.config import Settings


def install_security(app: FastAPI, settings: Settings) -> None:
    return None
