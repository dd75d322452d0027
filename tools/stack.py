"""The production configuration, started for real on loopback: PostgreSQL (tracker store), Redis
(lock store), several Rasa server processes sharing them, one private action server, and nginx
in front routing each conversation to one Rasa process.

`running_stack()` is what the production tests and `send-assistant load` use; docs/production.md
gives the same pieces as commands for a real server. Everything listens on 127.0.0.1, every
password and token is made up for this start, and all data lives in `work_dir`.

nginx routes by the `X-Conversation-Id` header (the widget sends its conversation id in it), so
one conversation goes to one Rasa process while it is up; if that process stops answering, nginx
tries the next one, which reads the same conversation from PostgreSQL.

Every wait has a limit (the constants below, nginx's in deploy/nginx.conf, and bot/server.py's
deadline for a whole message), so a person gets an answer or "try again shortly" within about
10 seconds whatever fails.
"""
from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from actions.errors import SendAssistantError
from actions.paths import PROJECT_ROOT
from tools.servers import (
    TELEMETRY_OFF,
    action_server_command,
    cors_arguments,
    free_port,
    start_process,
    stop_process,
    wait_for,
)
from tools.train import MODEL_PATH

POOL_SIZE = 5
"""SQL connections each Rasa process keeps (Rasa's default is 50, plus 100 overflow: with a few
processes that exceeds PostgreSQL's default limit of 100 connections)."""
POOL_OVERFLOW = 5
"""Extra SQL connections each Rasa process may open at a peak."""
BODY_LIMIT = "64k"
"""The largest request nginx passes on (a message is cut at 2,000 characters anyway)."""
FAIL_TIMEOUT_S = 10
"""After a Rasa process fails a request, nginx sends it nothing for this long."""
RATE = "20r/s"
"""Requests a second nginx lets one address make (with a burst of 40 beyond it)."""
DB_CONNECT_TIMEOUT_S = 2
"""Seconds a Rasa process waits to connect to PostgreSQL (libpq's `connect_timeout`; none by
default)."""
DB_STATEMENT_TIMEOUT_MS = 3000
"""The longest one query of the tracker store may run (PostgreSQL's `statement_timeout`, waits
for locks included); also how long unacknowledged data may wait on a connection whose server
has vanished (`tcp_user_timeout`)."""
REDIS_TIMEOUT_S = 2
"""Seconds a Rasa process waits to connect to Redis or for its answer (Rasa's default is 10)."""
ACTION_TIMEOUT_S = 5
"""Seconds a Rasa process waits for the action server to run an action (Rasa 3.6 waits 5
minutes; bot/server.py reads this `timeout` from endpoints.yml)."""
LOCK_LIFETIME_S = 7
"""`TICKET_LOCK_LIFETIME`: seconds after which a message's ticket for its conversation's lock
lapses (Rasa's default is 60). A process killed mid-message leaves its ticket in Redis, and
every later message of the conversation waits for it to lapse: for a minute, by default. Equal
to a message's deadline (bot/server.py MESSAGE_DEADLINE_S): no message holds the lock longer,
and in Rasa's lock a waiter whose own ticket lapses never gets the lock, so it must not be
shorter. nginx's retry of the killed process's message is told to try again (its deadline
passes as the ticket lapses); the conversation's next message is answered."""
PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class StackError(SendAssistantError):
    """A piece of the production stack did not start; the message says which and where to
    look."""


def find(program: str) -> str:
    """The path of a server program: on PATH, in /usr/sbin, or among PostgreSQL's."""
    for directory in [*os.environ.get("PATH", "").split(os.pathsep), "/usr/sbin",
                      *map(str, PG_BIN_DIRS)]:
        candidate = Path(directory) / program
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise StackError(f"{program} is not installed: run `make services` (Debian packages "
                     "postgresql, redis-server and nginx)")


@dataclass(slots=True)
class Process:
    """One server process of the stack, and how to start it again."""

    name: str
    command: list[str]
    log: Path
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it (again), adding to its log."""
        self.popen = start_process(self.command, self.log, self.env, append=True)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig: int = 9) -> None:
        """Stop it at once (SIGKILL unless told otherwise), as a crash would."""
        if self.popen is not None and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            self.popen.wait(timeout=60)

    def stop(self) -> None:
        """Ask it to finish (SIGTERM), then kill it if it has not within 20 s."""
        if self.popen is not None:
            stop_process(self.popen)


@dataclass(slots=True)
class Stack:
    """A running production stack."""

    work_dir: Path
    url: str
    """nginx: where people's browsers would connect, e.g. http://127.0.0.1:8080."""
    rasa_urls: list[str]
    """Each Rasa process, directly (for tests)."""
    database_url: str
    """The tracker store, as an SQLAlchemy URL (for `send-assistant report` and tests)."""
    processes: dict[str, Process] = field(default_factory=dict)
    postgres: list[str] = field(default_factory=list)
    """The pg_ctl command prefix (run as the postgres user when we are root)."""
    pg_data: Path | None = None

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    @property
    def pg_log(self) -> Path:
        assert self.pg_data is not None
        return self.pg_data.parent / "postgres.log"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.postgres, *args, "-D", str(self.pg_data), "-w"],
                       check=True, capture_output=True, timeout=120)

    def restart_postgres(self) -> None:
        """Restart PostgreSQL (fast shutdown: open connections are cut), and wait for it."""
        self._pg_ctl("restart", "-m", "fast", "-l", str(self.pg_log))

    def stop_postgres(self) -> None:
        self._pg_ctl("stop", "-m", "fast")

    def start_postgres(self) -> None:
        self._pg_ctl("start", "-l", str(self.pg_log))

    def wait_ready(self, name: str) -> None:
        """Wait until the Rasa process `name` (rasa1, rasa2, ...) is ready again."""
        index = int(name.removeprefix("rasa")) - 1
        _wait(f"{self.rasa_urls[index]}/webhooks/health/ready", self.processes[name])


def _as_postgres(command: list[str]) -> list[str]:
    """Run a PostgreSQL program as the postgres user when we are root (it refuses root)."""
    if os.geteuid() != 0:
        return command
    try:
        pwd.getpwnam("postgres")
    except KeyError as err:
        raise StackError("running as root needs the postgres user (Debian's postgresql "
                         "package makes it)") from err
    return ["runuser", "-u", "postgres", "--", *command]


def _start_postgres(work_dir: Path, port: int, password: str) -> tuple[list[str], Path]:
    """initdb and start a cluster; as root, in a folder of the postgres user's own under /tmp
    (PostgreSQL refuses to run as root, and work_dir may not be reachable by other users)."""
    if os.geteuid() == 0:
        home = Path(tempfile.mkdtemp(prefix="send-pg-"))
        shutil.chown(home, "postgres")
    else:
        home = work_dir
    data = home / "pg"
    pwfile = home / "pg.pw"
    pwfile.write_text(password)
    if os.geteuid() == 0:
        shutil.chown(pwfile, "postgres")
    subprocess.run(_as_postgres([find("initdb"), "-D", str(data), "-U", "send",
                                 "--auth=scram-sha-256", f"--pwfile={pwfile}",
                                 "--encoding=UTF8", "--no-sync"]),
                   check=True, capture_output=True, timeout=120)
    pwfile.unlink()
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
                   f"unix_socket_directories = '{data}'\nfsync = on\n")
    pg_ctl = _as_postgres([find("pg_ctl")])
    subprocess.run([*pg_ctl, "start", "-D", str(data), "-w", "-l", str(home / "postgres.log")],
                   check=True, capture_output=True, timeout=120)
    subprocess.run([find("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "send", "send"],
                   env={**os.environ, "PGPASSWORD": password}, check=True, capture_output=True,
                   timeout=60)
    return pg_ctl, data


def _nginx_conf(work_dir: Path, port: int, rasa_ports: list[int], rate: str) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s;"
                        for p in rasa_ports)
    user = "user root;" if os.geteuid() == 0 else ""
    return (PROJECT_ROOT / "deploy" / "nginx.conf").read_text().format(
        user=user, work=work_dir, port=port, servers=servers, body_limit=BODY_LIMIT, rate=rate)


def _wait(url: str, process: Process) -> None:
    if process.popen is None:
        raise StackError(f"{process.name} was never started")
    wait_for(url, process.popen, process.log)


def production_endpoints(*, action_port: int, action_token: str, pg_port: int, pg_password: str,
                         redis_port: int, redis_password: str) -> dict[str, object]:
    """endpoints.yml for the production configuration."""
    return {
        "action_endpoint": {"url": f"http://127.0.0.1:{action_port}/webhook",
                            "token": action_token, "timeout": ACTION_TIMEOUT_S},
        "tracker_store": {"type": "SQL", "dialect": "postgresql", "url": "127.0.0.1",
                          "port": pg_port, "db": "send", "username": "send",
                          "password": pg_password,
                          # Passed to libpq as connection parameters (strings, as SQLAlchemy
                          # requires): every connect and every query has a limit.
                          "query": {"connect_timeout": str(DB_CONNECT_TIMEOUT_S),
                                    "options": f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS}",
                                    "tcp_user_timeout": str(DB_STATEMENT_TIMEOUT_MS)}},
        # No `login_db`: with it, Rasa 3.6 makes its engine without the pool settings
        # (SQL_POOL_SIZE, SQL_MAX_OVERFLOW) or connection checks. The database is made first.
        "lock_store": {"type": "redis", "url": "127.0.0.1", "port": redis_port,
                       "password": redis_password, "db": 1, "key_prefix": "send",
                       "socket_timeout": REDIS_TIMEOUT_S},  # connecting too, in redis-py
    }


@contextlib.contextmanager
def running_stack(*, work_dir: Path, model: Path = MODEL_PATH, rasa_processes: int = 2,
                  port: int | None = None, rate: str = RATE) -> Iterator[Stack]:
    """Start the whole production stack in work_dir; stop it all when the block ends. `rate` is
    nginx's limit per client address (a load test from one address needs it raised)."""
    if not model.is_file():
        raise StackError(f"no trained model at {model}; run `make train` first")
    work_dir.mkdir(parents=True, exist_ok=True)
    pg_port, redis_port, action_port = free_port(), free_port(), free_port()
    rasa_ports = [free_port() for _ in range(rasa_processes)]
    nginx_port = port or free_port()
    pg_password, redis_password = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    action_token = secrets.token_urlsafe(32)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **TELEMETRY_OFF,
           "SEND_ACTION_TOKEN": action_token,
           "SEND_CONVERSATION_SECRET": secrets.token_urlsafe(32),
           "SQL_POOL_SIZE": str(POOL_SIZE), "SQL_MAX_OVERFLOW": str(POOL_OVERFLOW),
           "TICKET_LOCK_LIFETIME": str(LOCK_LIFETIME_S)}
    stack = Stack(work_dir=work_dir, url=f"http://127.0.0.1:{nginx_port}",
                  rasa_urls=[f"http://127.0.0.1:{p}" for p in rasa_ports],
                  database_url=f"postgresql://send:{pg_password}@127.0.0.1:{pg_port}/send")
    try:
        stack.postgres, stack.pg_data = _start_postgres(work_dir, pg_port, pg_password)
        endpoints = work_dir / "endpoints.yml"
        endpoints.write_text(yaml.safe_dump(production_endpoints(
            action_port=action_port, action_token=action_token, pg_port=pg_port,
            pg_password=pg_password, redis_port=redis_port, redis_password=redis_password)))
        endpoints.chmod(0o600)
        redis_conf = work_dir / "redis.conf"
        redis_conf.write_text(f"port {redis_port}\nbind 127.0.0.1\nrequirepass {redis_password}"
                              f"\nsave \"\"\nappendonly no\ndir {work_dir}\n")
        redis_conf.chmod(0o600)
        pieces = [Process("redis", [find("redis-server"), str(redis_conf)],
                          work_dir / "redis.log", env),
                  Process("actions", action_server_command(action_port),
                          work_dir / "actions.log", env)]
        pieces += [Process(f"rasa{i + 1}", [sys.executable, "-m", "bot.server", "run",
                                            "--model", str(model), "--endpoints", str(endpoints),
                                            "--credentials",
                                            str(PROJECT_ROOT / "bot" / "credentials.yml"),
                                            "--interface", "127.0.0.1", "--port", str(p),
                                            *cors_arguments(env.get("SEND_ALLOWED_ORIGINS", ""))],
                           work_dir / f"rasa{i + 1}.log", env)
                   for i, p in enumerate(rasa_ports)]
        for piece in pieces:
            stack.processes[piece.name] = piece
            piece.start()
        _wait(f"http://127.0.0.1:{action_port}/health", stack.processes["actions"])
        for i, url in enumerate(stack.rasa_urls):
            _wait(f"{url}/webhooks/health/ready", stack.processes[f"rasa{i + 1}"])
        conf = work_dir / "nginx.conf"
        conf.write_text(_nginx_conf(work_dir, nginx_port, rasa_ports, rate))
        nginx = Process("nginx", [find("nginx"), "-p", str(work_dir), "-c", str(conf),
                                  "-e", str(work_dir / "nginx-error.log")],
                        work_dir / "nginx.log", env)
        stack.processes["nginx"] = nginx
        nginx.start()
        _wait(f"{stack.url}/webhooks/health/live", nginx)
        yield stack
    finally:
        for piece in reversed(list(stack.processes.values())):
            piece.stop()
        if stack.pg_data is not None:
            subprocess.run([*stack.postgres, "stop", "-D", str(stack.pg_data), "-m", "fast"],
                           capture_output=True, timeout=120)
            if stack.pg_data.parent != work_dir:  # our folder under /tmp, as root
                shutil.copy(stack.pg_log, work_dir / "postgres.log")
                shutil.rmtree(stack.pg_data.parent, ignore_errors=True)
