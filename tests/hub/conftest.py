"""Fixtures for the hub tests (helpers live in hubkit.py)."""

from hubkit import hub, js_client, make_hub, py_client, raw

__all__ = ["hub", "js_client", "make_hub", "py_client", "raw"]
