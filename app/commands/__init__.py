"""The commands of the ``aftershock`` CLI, one module each; :mod:`app.cli` wires them."""

__all__: list[str] = []
