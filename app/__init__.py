"""Aftershock's frontend: the Dash dashboard, figures, PNG export, CLI and scheduled refresh."""

__all__: list[str] = []
