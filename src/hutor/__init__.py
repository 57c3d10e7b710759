"""Hutor: an open-source billing panel for hosting providers."""
