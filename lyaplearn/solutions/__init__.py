"""Reference solutions to the coding exercises, one module per chapter (``chNN``)."""
