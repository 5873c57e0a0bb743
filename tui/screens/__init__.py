"""The app's screens: the room, and the modals it opens."""
