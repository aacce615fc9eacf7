"""The wxhub launcher: ``wxhub dev`` (one process), ``wxhub serve <name>``, ``wxhub migrate``.

This package is the only place that knows every service; services never import each other.
"""
