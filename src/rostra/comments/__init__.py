"""Comments: threads, reactions, counts."""
