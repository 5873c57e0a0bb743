"""The Textual app: CLI entry, config, screens, widgets and stylesheets."""
