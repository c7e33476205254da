"""The demo news site (The Brennock Courier): a publisher's pages with the
embed, and a toy SSO login."""
