"""Readers and each other: follows, blocks, profiles and the Following feed."""
