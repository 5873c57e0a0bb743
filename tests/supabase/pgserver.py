"""A throwaway PostgreSQL server for one test session: initdb into a temporary directory,
start it listening on a unix socket there (no TCP port to collide with), stop and delete it
at the end.

PostgreSQL refuses to run as root, so under root (as in CI) the server runs as the
`postgres` user that Debian's package creates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"
PORT = 5432  # names the socket file only
SERVER_OPTIONS = [
    "-c listen_addresses=''",
    "-c wal_level=logical",  # as on Supabase, where the publication streams changes
    # A throwaway server: nothing needs to survive a crash.
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
]


def find_server_binaries() -> Path | None:
    """The directory holding initdb and pg_ctl: PATH first, then Debian's
    /usr/lib/postgresql/<version>/bin (not on PATH there), newest version first."""
    candidates = []
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    debian = [
        path for path in Path("/usr/lib/postgresql").glob("*/bin") if path.parent.name.isdigit()
    ]
    candidates += sorted(debian, key=lambda path: int(path.parent.name), reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


@dataclass(frozen=True)
class Server:
    socket_dir: Path

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port={PORT} user={SUPERUSER} dbname={dbname}"


def server_user() -> str | None:
    """Whom to run the server as: None for the current user, "postgres" under root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError(
            "running as root, which PostgreSQL refuses: the tests then run the server as the "
            "'postgres' user, and there is none (Debian's postgresql package creates it)"
        ) from None
    return "postgres"


@contextmanager
def running_server(binaries: Path) -> Iterator[Server]:
    user = server_user()
    as_user = ["runuser", "-u", user, "--"] if user else []

    def run(program: str, *args: str) -> None:
        command = [*as_user, str(binaries / program), *args]
        try:
            # In the server's own folder: the server user may not enter ours (a clone under
            # a home folder only its owner may enter), and initdb stops where it cannot.
            subprocess.run(command, check=True, capture_output=True, text=True, cwd=base)
        except subprocess.CalledProcessError as error:
            log = log_file.read_text(errors="replace") if log_file.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} failed ({error.returncode}):\n"
                f"{error.stdout}{error.stderr}{log}"
            ) from None

    # Not pytest's tmp_path: that lies under a directory only the current user may enter.
    base = Path(tempfile.mkdtemp(prefix="watchparty-pg-"))
    data_dir, log_file = base / "data", base / "server.log"
    try:
        if user:
            shutil.chown(base, user=user)
        run("initdb", "--pgdata", str(data_dir), "--username", SUPERUSER, "--auth", "trust",
            "--encoding", "UTF8", "--locale", "C", "--no-sync")  # fmt: skip
        options = [*SERVER_OPTIONS, f"-k {base}", f"-p {PORT}"]
        run("pg_ctl", "--pgdata", str(data_dir), "--log", str(log_file),
            "--options", " ".join(options), "--wait", "start")  # fmt: skip
        try:
            yield Server(socket_dir=base)
        finally:
            run("pg_ctl", "--pgdata", str(data_dir), "--mode", "immediate", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)
