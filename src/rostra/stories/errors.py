"""The error codes of stories."""

from __future__ import annotations

from rostra.errors import Conflict


class MetadataFetchOff(Conflict):
    code = "metadata_fetch_off"
    message = (
        "This story's site does not fetch titles from its pages "
        "(rostra site edit NAME --fetch-metadata switches it on)."
    )
