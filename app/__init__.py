"""Aftershock's frontend: the Dash dashboard, figures, PNG export, CLI and scheduled refresh."""
