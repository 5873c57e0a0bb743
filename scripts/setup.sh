#!/usr/bin/env bash
# Set up watchparty-tui from nothing on Debian/Ubuntu: system packages, a project virtualenv
# (.venv) and the project itself. `scripts/setup.sh --test` adds what the test suite needs.
# Safe to run again: every step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "need root to run: $*  (no sudo found)"; return 1
  fi
}

# --- system packages -------------------------------------------------------
apt_packages=(libmpv2)
# postgresql: the server binaries (initdb, pg_ctl) for the migration tests in tests/supabase,
# which start a throwaway server of their own.
(( want_test )) && apt_packages+=(nodejs npm postgresql)

have_postgres_server() {
  command -v initdb >/dev/null || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

missing=()
if command -v dpkg-query >/dev/null; then
  for pkg in "${apt_packages[@]}"; do
    case "$pkg" in
      nodejs) command -v node >/dev/null && continue ;;
      npm) command -v npm >/dev/null && continue ;;
      postgresql) have_postgres_server && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    # Debian's package would create (and start) a "main" cluster; the tests need none.
    as_root mkdir -p /etc/postgresql-common/createcluster.d
    printf '%s\n' "# Written by watchparty-tui's scripts/setup.sh --test: the tests run their own server." \
      "create_main_cluster = false" |
      as_root tee /etc/postgresql-common/createcluster.d/watchparty-no-main-cluster.conf >/dev/null
  fi
  if (( ${#missing[@]} )); then
    say "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  if ! ldconfig -p 2>/dev/null | grep -q 'libmpv\.so' && [[ ! -e /opt/homebrew/lib/libmpv.dylib && ! -e /usr/local/lib/libmpv.dylib ]]; then
    say "libmpv is needed and this is not a Debian/Ubuntu machine. Install it with:"
    say "  macOS: brew install mpv    Fedora: sudo dnf install mpv-libs    Arch: sudo pacman -S mpv"
    exit 1
  fi
  if (( want_test )) && ! have_postgres_server; then
    say "the migration tests (tests/supabase) skip without PostgreSQL's initdb and pg_ctl on PATH:"
    say "  macOS: brew install postgresql    Fedora: sudo dnf install postgresql-server    Arch: sudo pacman -S postgresql"
  fi
fi

# --- Python ----------------------------------------------------------------
python=${PYTHON:-}
if [[ -z "$python" ]]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      python=$candidate; break
    fi
  done
fi
if [[ -z "$python" ]]; then
  say "Python 3.11 or newer is needed (Debian/Ubuntu: apt-get install python3 python3-venv)"
  exit 1
fi
if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv with $python"
  "$python" -m venv .venv || { say "venv failed: apt-get install python3-venv"; exit 1; }
fi
extra=""
# The tests play web pages through yt-dlp (offline, from 127.0.0.1), so they need the extra.
(( want_test )) && extra="[test,ytdl]"
say "installing watchparty-tui${extra} into .venv"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extra}"

# --- node packages for the realtime-js interop tests ------------------------
if (( want_test )) && [[ -f tests/js/package-lock.json ]]; then
  say "installing node packages for tests/js"
  (cd tests/js && npm ci --silent --no-audit --no-fund)
fi
say "setup done"
