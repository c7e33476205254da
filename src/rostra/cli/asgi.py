"""The ASGI entry point uvicorn imports (one app per worker process)."""

from rostra.app import create_app
from rostra.config import load_settings

app = create_app(load_settings())
