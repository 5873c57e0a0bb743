"""Errors the hub raises to its caller (not to clients: those get protocol replies)."""


class HubConfigError(Exception):
    """The hub was asked to start with settings it refuses; the message says why in plain words."""


class ProtocolError(Exception):
    """A client frame that cannot be understood; the connection is closed with this reason."""
