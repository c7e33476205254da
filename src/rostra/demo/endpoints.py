"""Placeholder; replaced by the embed work."""

from fastapi import APIRouter

router = APIRouter()
