"""embed (see issue 3)."""
