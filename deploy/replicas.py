"""Several app processes behind HAProxy, sharing one PostgreSQL database, on this machine:
``make replicas`` (``REPLICAS=3``, ``PORT=...``).

- The database is ``OUTCOMES_DATABASE_URL`` if set; otherwise a PostgreSQL server is started
  here, its data kept in ``.cache/postgres/`` from one run to the next, with a database
  ``outcomes`` holding the demo (loaded the first time).
- Each app process is ``streamlit run dashboard/server.py`` on a port of its own on
  localhost; one that stops is started again.
- HAProxy listens on ``PORT`` (8501) and sends each browser to one process for as long as
  that process is up (a cookie, ``outcomes_replica``): a tab's websocket and its uploads go
  to the process holding its session. A process that goes down is taken out of the round
  until it answers its health check again; its browsers reconnect to another.

``--state FILE`` writes the processes' ports and ids as JSON once all are up (the tests
read it).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from deploy.postgres import cluster, database, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def haproxy_config(port: int, backends: list[int]) -> str:
    """HAProxy in front of the app processes: sticky by cookie, health-checked, websockets
    kept open as long as the tab is."""
    servers = "\n".join(
        f"    server app{n} 127.0.0.1:{p} check inter 1s fall 2 rise 2 cookie app{n}"
        for n, p in enumerate(backends, 1)
    )
    return f"""global
    maxconn 4096

defaults
    mode http
    option redispatch
    retries 3
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h

frontend outcomes
    bind 127.0.0.1:{port}
    default_backend apps

backend apps
    balance roundrobin
    cookie outcomes_replica insert indirect nocache httponly
    option httpchk GET /_stcore/health
{servers}
"""


def _healthy(port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the app process on port {port} did not start")


def _app(port: int, env: dict[str, str], log: Path, secrets: Path | None) -> subprocess.Popen:
    served = ["--server.port", str(port), "--server.address", "127.0.0.1"]
    if secrets:
        served += ["--secrets.files", str(secrets)]
    app = str(ROOT / "dashboard" / "server.py")
    return subprocess.Popen(
        [str(BIN / "streamlit"), "run", app, *served, "--server.headless", "true"],
        cwd=ROOT,
        env={**env, "PGAPPNAME": f"outcomes-app-{port}"},  # which process, in pg_stat_activity
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="replicas", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2, help="app processes (default 2)")
    parser.add_argument("--port", type=int, default=8501, help="the proxy's port")
    parser.add_argument("--state", type=Path, help="write the processes' ports and ids here")
    parser.add_argument(
        "--secrets",
        type=Path,
        help="the secrets file every process reads (sign-in: the same cookie_secret for all; "
        "default: .streamlit/secrets.toml)",
    )
    args = parser.parse_args(argv)
    logs = ROOT / "test-artifacts" / "replicas"
    logs.mkdir(parents=True, exist_ok=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with ExitStack() as stack:
        url = os.environ.get("OUTCOMES_DATABASE_URL", "")
        if not url:
            server = stack.enter_context(cluster(ROOT / ".cache" / "postgres", durable=True))
            url = database(server, "outcomes")
        env = {
            **os.environ,
            "OUTCOMES_DATABASE_URL": url,
            "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        }
        subprocess.run([str(BIN / "outcomes"), "demo", "--if-missing"], env=env, check=True)
        ports = [free_port() for _ in range(args.replicas)]
        apps = {p: _app(p, env, logs / f"app-{p}.log", args.secrets) for p in ports}
        stack.callback(lambda: [a.terminate() for a in apps.values()])
        for p in ports:
            _healthy(p)
        config = logs / "haproxy.cfg"
        config.write_text(haproxy_config(args.port, ports))
        proxy = subprocess.Popen(
            ["haproxy", "-f", str(config), "-db"],
            stdout=(logs / "haproxy.log").open("a"),
            stderr=subprocess.STDOUT,
        )
        stack.callback(proxy.terminate)
        _healthy(args.port)
        if args.state:
            state = {"port": args.port, "apps": {str(p): a.pid for p, a in apps.items()}}
            args.state.write_text(json.dumps(state))
        print(
            f"Serving http://127.0.0.1:{args.port}: {args.replicas} app processes on one "
            "PostgreSQL database, behind HAProxy (Ctrl+C stops them all)",
            flush=True,
        )
        while not stopping:
            for p, app in list(apps.items()):
                if app.poll() is not None and not stopping:  # a process stopped: again
                    print(f"The app process on port {p} stopped; starting it again", flush=True)
                    apps[p] = _app(p, env, logs / f"app-{p}.log", args.secrets)
            if proxy.poll() is not None:
                print("HAProxy stopped", file=sys.stderr)
                return 1
            time.sleep(0.5)
        for app in apps.values():
            app.terminate()
        for app in apps.values():
            try:
                app.wait(15)
            except subprocess.TimeoutExpired:
                app.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
