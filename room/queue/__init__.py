"""The room's queue: its rows, what a member may open, and when the room starts an item."""
