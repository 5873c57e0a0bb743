"""Fixtures for the hub tests (helpers live in hubkit.py and datakit.py)."""

from datakit import rest
from hubkit import hub, js_client, make_hub, py_client, raw

__all__ = ["hub", "js_client", "make_hub", "py_client", "raw", "rest"]
