"""Stories: one per article URL."""
