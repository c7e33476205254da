"""Moderation: roles per site, bans, and the audit log of every action."""
