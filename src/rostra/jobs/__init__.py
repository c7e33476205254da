"""Background work as outbox rows: written with the change, run by the runner."""
