"""HTTP concerns shared by every router: client address, security headers, body limits."""
