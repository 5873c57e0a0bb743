#!/usr/bin/env bash
# Install the test dependencies and run the whole test suite, then the linters and the import
# contracts (pyproject.toml [tool.importlinter]).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/python -m pytest "$@"
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
.venv/bin/python -m mypy
.venv/bin/lint-imports
