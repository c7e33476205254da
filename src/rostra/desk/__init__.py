"""The moderation desk: the Moderation API (``/api/v1/moderation``) and, on
top of it, the desk's pages."""
