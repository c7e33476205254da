"""Database plumbing: engine, sessions, the declarative base."""
