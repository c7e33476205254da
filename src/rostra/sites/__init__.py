"""Sites: the publishers whose article URLs Rostra accepts."""
