#!/usr/bin/env bash
# Install everything and open watchparty-tui in the demo room with the built-in test video.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/watchparty-tui "${@:-demo}"
