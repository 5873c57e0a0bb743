"""The room: wire event models, room state, channel client and sync policy. No Textual, no mpv."""
