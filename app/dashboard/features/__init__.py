"""The dashboard's features: each module (or package, as ``saved_studies``) owns its layout and
its callbacks (``register(app)``).

May import :mod:`analytics`, :mod:`app.charts`, :mod:`app.jobs` and the shared parts of
:mod:`app.dashboard` (ids, state, cache, layout); a feature never imports another feature.
"""

__all__: list[str] = []
