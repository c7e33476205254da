"""Single sign-on: a publisher's signed token exchanged for a Rostra session."""
