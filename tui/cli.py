"""Command-line entry point (filled in by the foundation work)."""


def main() -> None:
    raise SystemExit("watchparty-tui: not built yet")
