"""demo (see issue 3)."""
