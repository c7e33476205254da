"""sso (see issue 3)."""
