"""Live channels: events written with the change they announce, carried to
every process after the commit, and streamed to readers (Server-Sent Events)."""
