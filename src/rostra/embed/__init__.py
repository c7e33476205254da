"""The embed: the loader on publishers' pages, the thread page in its iframe,
and the thread without JavaScript."""
