"""Aftershock analytics: market data, the local price store and the event-study engine."""
