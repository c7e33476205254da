"""Reader accounts: registration, sign-in, sessions, email verification, password reset."""
