"""The ASGI entry point uvicorn imports (one app per worker process).

Migrations are not run here: with several workers each process would race
the others. `rostra serve` migrates once before it starts the workers; when
running this module under another server, run `rostra migrate` first.
"""

from rostra.app import create_app
from rostra.config import load_settings

app = create_app(load_settings(), migrate_on_start=False)
