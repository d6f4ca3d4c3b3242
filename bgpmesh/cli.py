"""The ``bgpmesh`` command (click).

``bgpmesh start PATH`` runs the daemon; ``send`` and ``watch`` are bus
clients; ``validate`` checks a configuration without starting anything.
"""

from __future__ import annotations

import sys

import click

from bgpmesh import __version__
from bgpmesh.errors import CommandError, ConfigError

RUN_DIR_HELP = "run folder holding the bus sockets (default: $BGPMESH_RUN_DIR, " \
               "$XDG_RUNTIME_DIR/bgpmesh or /tmp/bgpmesh-UID)"


def _run_dir(value: str | None) -> str:
    from bgpmesh.supervisor.client import default_run_dir

    return value or default_run_dir()


def bus_options(function):
    """Where a client finds the supervisor: a run folder, or a CurveZMQ tcp:// bus."""
    options = [
        click.option("--run-dir", default=None, help=RUN_DIR_HELP),
        click.option("--bus", "endpoint", default=None, metavar="tcp://HOST:PORT",
                     help="a remote supervisor's bus (needs --server-key, --client-key)"),
        click.option("--server-key", default=None, type=click.Path(exists=True),
                     help="the supervisor's public key (.key)"),
        click.option("--client-key", default=None, type=click.Path(exists=True),
                     help="our key pair (.key_secret)"),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _target(run_dir, endpoint, server_key, client_key):
    from bgpmesh.supervisor.client import Target

    if endpoint:
        return Target(endpoint=endpoint, server_key=server_key, client_key=client_key)
    return Target(run_dir=_run_dir(run_dir))


def _environment(path: str, env_files: tuple[str, ...]):
    """Settings: env vars > --env-file > $EXABGP_ENVFILE > files beside the config."""
    import os

    from bgpmesh.environment import EnvironmentError_, load_environment

    folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
    paths = [os.path.join(folder, "exabgp.env"), os.path.join(folder, "bgpmesh.env")]
    for name in ("EXABGP_ENVFILE", "exabgp.envfile", "exabgp_envfile"):
        if os.environ.get(name):
            paths.append(os.environ[name])
    paths.extend(env_files)
    try:
        environment = load_environment(os.environ, paths)
    except EnvironmentError_ as exc:
        click.echo(f"bgpmesh: {exc}", err=True)
        sys.exit(1)
    for name in environment.unknown:
        click.echo(f"bgpmesh: warning: {name} is not a setting; ignored", err=True)
    return environment


def _load(path: str):
    from bgpmesh.config import load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        click.echo(f"bgpmesh: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"bgpmesh: cannot read {path}: {exc.strerror}", err=True)
        sys.exit(1)


@click.group()
@click.version_option(__version__, prog_name="bgpmesh")
def main() -> None:
    """A BGP speaker driven by programs."""


@main.command()
@click.argument("path", type=click.Path())
@click.option("--workers", "-w", type=click.IntRange(1, 1024), default=None,
              help="automatic neighbor groups (default: one per CPU core)")
@click.option("--run-dir", default=None, help=RUN_DIR_HELP)
@click.option("--log-level", default=None,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="default: exabgp.log.level from the environment, else INFO")
@click.option("--env-file", "env_files", multiple=True, type=click.Path(exists=True),
              help="ini settings (ExaBGP's exabgp.env format); also read: bgpmesh.env and "
                   "exabgp.env beside the configuration, and $EXABGP_ENVFILE")
@click.option("--bus", "endpoint", default=None, metavar="tcp://HOST:PORT",
              help="also offer the bus over TCP (commands on PORT, events on PORT+1), "
                   "CurveZMQ only")
@click.option("--bus-secret-key", default=None, help="our key pair for --bus (.key_secret)")
@click.option("--bus-client-keys", default=None,
              help="folder of the client public keys (.key) allowed on --bus")
def start(path: str, workers: int | None, run_dir: str | None, log_level: str | None,
          env_files: tuple[str, ...], endpoint: str | None, bus_secret_key: str | None,
          bus_client_keys: str | None) -> None:
    """Run the neighbors and processes of PATH (a file, or a folder of *.conf)."""
    import os

    from bgpmesh import log
    from bgpmesh.supervisor.arbiter import Supervisor

    remote = None
    if endpoint:
        from bgpmesh.supervisor.remote import BusSecurityError, split_endpoint

        try:
            split_endpoint(endpoint)
            if not bus_secret_key or not bus_client_keys:
                raise BusSecurityError(
                    "a tcp:// bus needs CurveZMQ keys: --bus-secret-key and "
                    "--bus-client-keys (make them with 'bgpmesh keys NAME')")
        except BusSecurityError as exc:
            click.echo(f"bgpmesh: {exc}", err=True)
            sys.exit(2)
        remote = {"endpoint": endpoint, "secret_key": bus_secret_key,
                  "client_keys": bus_client_keys}
    config = _load(path)
    environment = _environment(path, env_files)
    try:
        log.setup(log_level, environment)
    except (ValueError, OSError) as exc:
        click.echo(f"bgpmesh: exabgp.log.destination "
                   f"{environment.get('log', 'destination')!r}: {exc}", err=True)
        sys.exit(1)
    workers = workers or environment.get("workers", "count", "bgpmesh") or None
    supervisor = Supervisor(config, workers=workers or os.cpu_count() or 1,
                            run_dir=_run_dir(run_dir), config_path=path, remote=remote,
                            banner=lambda text: click.echo(text, err=True),
                            environment=environment)
    sys.exit(supervisor.run())


@main.command()
@click.argument("path", type=click.Path())
@click.option("--dump", is_flag=True, help="print the resolved model (templates applied) as JSON")
def validate(path: str, dump: bool) -> None:
    """Check a configuration; print a summary, or the first error."""
    config = _load(path)
    if dump:
        import json

        click.echo(json.dumps(config.to_dict(), indent=1, default=str))
        return
    click.echo(f"{path}: {len(config.neighbors)} neighbor(s), "
               f"{len(config.processes)} process(es): ok")


@main.command()
@click.argument("command", nargs=-1, required=True)
@bus_options
@click.option("--timeout", default=10.0, show_default=True, help="seconds to wait for acks")
@click.option("--wire", is_flag=True,
              help="wait until the UPDATEs were written to every matched established "
                   "neighbor's socket, not only accepted (neighbors that are down count "
                   "as done: they get their table when they come up)")
def send(command: tuple[str, ...], run_dir: str | None, endpoint, server_key, client_key,
         timeout: float, wire: bool) -> None:
    """Publish one API command (ExaBGP text syntax) and print its ack.

    Besides routes and the other API commands: 'create neighbor ADDRESS { ... }',
    'delete neighbor ADDRESS' and 'neighbor ADDRESS enable|disable'."""
    from bgpmesh.supervisor.client import ClientError
    from bgpmesh.supervisor.client import send as send_command

    line = " ".join(command)
    try:
        ok, message = send_command(_target(run_dir, endpoint, server_key, client_key), line,
                                   timeout, wire=wire)
    except CommandError as exc:
        click.echo(f"bgpmesh: {line!r}: {exc.message} (column {exc.column})", err=True)
        click.echo("error")
        sys.exit(1)
    except ClientError as exc:
        click.echo(f"bgpmesh: {exc}", err=True)
        sys.exit(2)
    if message:
        click.echo(message, err=not ok)
    click.echo("done" if ok else "error")
    sys.exit(0 if ok else 1)


@main.command()
@bus_options
@click.option("--type", "kinds", multiple=True, help="only these event types (state, update)")
@click.option("--count", default=0, help="exit after this many events (0: never)")
@click.option("--snapshot", "with_snapshot", is_flag=True,
              help='first print what is announced to each neighbor, one line '
                   '{"type": "snapshot", "neighbor": ..., "routes": [...]} per neighbor')
def watch(run_dir: str | None, endpoint, server_key, client_key, kinds: tuple[str, ...],
          count: int, with_snapshot: bool) -> None:
    """Print events from the bus as ExaBGP JSON, one per line.

    --snapshot is asked for once subscribed: no event falls between it and the
    live events (a change may show in both)."""
    from bgpmesh.supervisor.client import ClientError
    from bgpmesh.supervisor.client import watch as watch_events

    try:
        watch_events(_target(run_dir, endpoint, server_key, client_key), kinds, count,
                     echo=lambda line: click.echo(line) or sys.stdout.flush(),
                     with_snapshot=with_snapshot)
    except ClientError as exc:
        click.echo(f"bgpmesh: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        pass


def _size(value) -> str:
    if value is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return str(value)


@main.command()
@bus_options
@click.option("--json", "as_json", is_flag=True, help="print the raw status as JSON")
def status(run_dir: str | None, endpoint, server_key, client_key, as_json: bool) -> None:
    """Show the whole daemon: every worker and process (pid, CPU, memory, fds,
    restarts) and every neighbor (state, uptime, prefixes sent and received,
    last error), the neighbors asked of every worker."""
    import json

    from bgpmesh.supervisor.client import ClientError, daemon_status

    try:
        data = daemon_status(_target(run_dir, endpoint, server_key, client_key))
    except ClientError as exc:
        click.echo(f"bgpmesh: {exc}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(data, indent=1))
        return
    click.echo(f"supervisor pid {data['pid']}, run folder {data['run_dir']}")
    header = f"{'kind':8} {'name':16} {'pid':>7} {'cpu%':>6} {'rss':>9} {'fds':>5} " \
             f"{'uptime':>8} {'restarts':>8}  neighbors"
    click.echo(header)
    for kind, rows in (("worker", data["workers"]), ("process", data["processes"])):
        for row in rows:
            cpu = "-" if row["cpu_percent"] is None else f"{row['cpu_percent']:.1f}"
            fds = "-" if row["fds"] is None else str(row["fds"])
            click.echo(f"{kind:8} {row['name']:16} {row['pid']:>7} {cpu:>6} "
                       f"{_size(row['rss']):>9} {fds:>5} {row['uptime']:>8.0f} "
                       f"{row['restarts']:>8}  {row.get('neighbors', '')}")
    click.echo("")
    click.echo(f"{'neighbor':24} {'worker':10} {'state':12} {'uptime':>8} {'sent':>8} "
               f"{'received':>8}  last error")
    for row in data["neighbors"]:
        sent = "-" if row["sent"] is None else str(row["sent"])
        received = "-" if row["received"] is None else str(row["received"])
        click.echo(f"{row['name']:24} {row['group']:10} {row['state']:12} "
                   f"{row['uptime']:>8.0f} {sent:>8} {received:>8}  {row['last-error']}")


@main.command()
@bus_options
@click.option("--timeout", default=30.0, show_default=True,
              help="seconds to wait for the daemon to exit")
def stop(run_dir: str | None, endpoint, server_key, client_key, timeout: float) -> None:
    """Shut a running bgpmesh down and wait until its process has exited.

    Sessions close with Cease/Administrative Shutdown.  Over a remote --bus
    the request is sent, but the exit cannot be watched."""
    from bgpmesh.supervisor.client import ClientError
    from bgpmesh.supervisor.client import stop as stop_daemon

    try:
        pid = stop_daemon(_target(run_dir, endpoint, server_key, client_key), timeout)
    except ClientError as exc:
        click.echo(f"bgpmesh: {exc}", err=True)
        sys.exit(2)
    click.echo(f"stopped (pid {pid})" if pid else "shutdown requested")


@main.command()
@bus_options
@click.option("--check", is_flag=True, help="report what would change, change nothing")
def reload(run_dir: str | None, endpoint, server_key, client_key, check: bool) -> None:
    """Re-read the configuration of a running bgpmesh and apply what changed.

    A broken configuration changes nothing and exits 1 with its error.
    """
    from bgpmesh.supervisor.client import ClientError, request

    try:
        reply = request(_target(run_dir, endpoint, server_key, client_key), "control",
                        op="reload", check=check, timeout=30.0)
    except ClientError as exc:
        click.echo(f"bgpmesh: {exc}", err=True)
        sys.exit(2)
    data = reply["data"]
    if not reply["ok"]:
        click.echo(f"bgpmesh: reload refused, nothing changed: {data['error']}", err=True)
        sys.exit(1)
    for line in data["plan"]:
        click.echo(line)


@main.command()
@click.argument("payload", nargs=-1)
@click.option("-f", "--family", default=None, help='family of --nlri data, "AFI SAFI" (default "ipv4 unicast")')
@click.option("-o", "--open", "is_open", is_flag=True, help="header-less data is an OPEN body")
@click.option("-u", "--update", "is_update", is_flag=True, help="header-less data is an UPDATE body (the default)")
@click.option("-n", "--nlri", is_flag=True, help="the data is only an NLRI field")
@click.option("--text", is_flag=True, help="print the text encoder's form instead of JSON")
@click.option("--dialect", type=click.Choice(["4", "5"]), default="4", show_default=True,
              help='JSON of ExaBGP 4.x ("exabgp": "4.0.1") or 5.0 ("5.0.0")')
@click.option("-i", "--path-information", is_flag=True,
              help="NLRI carry ADD-PATH path identifiers (unicast, nlri-mpls, mpls-vpn)")
def decode(payload: tuple[str, ...], family: str | None, is_open: bool, is_update: bool, nlri: bool,
           text: bool, dialect: str, path_information: bool) -> None:
    """Decode hex BGP messages (arguments, or stdin one per line) like `exabgp decode`."""
    import os
    import socket
    import time

    from bgpmesh.decode import Envelope, run

    payloads = [" ".join(payload)] if payload else [line for line in sys.stdin.read().splitlines() if line.strip()]
    envelope = Envelope(time.time(), socket.gethostname(), os.getpid(), os.getppid())
    lines, errors = run(payloads, is_open=is_open and not is_update, nlri=nlri, family=family, text=text,
                        envelope=envelope, dialect=int(dialect), path_information=path_information)
    for line in lines:
        click.echo(line)
    for line in errors:
        click.echo(line, err=True)
    sys.exit(1 if errors else 0)


@main.command()
@click.argument("name")
@click.option("--dir", "directory", default=".", show_default=True, type=click.Path(),
              help="where to write NAME.key and NAME.key_secret")
def keys(name: str, directory: str) -> None:
    """Make a CurveZMQ key pair for the tcp:// bus.

    NAME.key is public: give a client's to the supervisor (--bus-client-keys
    folder) and the supervisor's to clients (--server-key). NAME.key_secret
    stays with its owner.
    """
    from bgpmesh.supervisor.remote import make_keys

    public, secret = make_keys(directory, name)
    click.echo(f"public key: {public}")
    click.echo(f"secret key: {secret} (mode 0600; keep it private)")


@main.group()
def neighbor() -> None:
    """Add, remove, stop and start neighbors of a running bgpmesh.

    These change the running configuration only, not the file: a neighbor
    created here lasts until the next reload, which applies the file as it
    is (and so removes it, unless the file has it too); one deleted here
    comes back on a reload if the file still has it.  disable/enable keep
    the neighbor configured: its session is closed with Cease/Administrative
    Shutdown and stays down until enable.
    """


def _neighbor_control(run_dir, endpoint, server_key, client_key, op: str, **fields) -> None:
    from bgpmesh.supervisor.client import ClientError, request

    try:
        reply = request(_target(run_dir, endpoint, server_key, client_key), "control",
                        op=op, timeout=30.0, **fields)
    except ClientError as exc:
        click.echo(f"bgpmesh: {exc}", err=True)
        sys.exit(2)
    data = reply["data"]
    if not reply["ok"]:
        click.echo(f"bgpmesh: {op} refused, nothing changed: {data['error']}", err=True)
        sys.exit(1)
    verb = {"neighbor-create": "created", "neighbor-delete": "deleted",
            "neighbor-disable": "disabled", "neighbor-enable": "enabled"}[op]
    click.echo(f"{verb} {data['neighbor']}")


@neighbor.command("create")
@click.argument("text")
@bus_options
def neighbor_create(text: str, run_dir, endpoint, server_key, client_key) -> None:
    """Start the neighbor TEXT defines: one 'neighbor ADDRESS { ... }' block in
    the configuration's grammar (it may name the running processes).  It goes
    to the worker with the fewest neighbors and lasts until the next reload."""
    _neighbor_control(run_dir, endpoint, server_key, client_key, "neighbor-create", text=text)


@neighbor.command("delete")
@click.argument("address")
@bus_options
def neighbor_delete(address: str, run_dir, endpoint, server_key, client_key) -> None:
    """Close ADDRESS with Cease/Peer De-configured and forget it (until the
    next reload, if the file has it)."""
    _neighbor_control(run_dir, endpoint, server_key, client_key, "neighbor-delete",
                      neighbor=address)


@neighbor.command("disable")
@click.argument("address")
@bus_options
def neighbor_disable(address: str, run_dir, endpoint, server_key, client_key) -> None:
    """Close ADDRESS with Cease/Administrative Shutdown; keep it down until enable."""
    _neighbor_control(run_dir, endpoint, server_key, client_key, "neighbor-disable",
                      neighbor=address)


@neighbor.command("enable")
@click.argument("address")
@bus_options
def neighbor_enable(address: str, run_dir, endpoint, server_key, client_key) -> None:
    """Start the session of ADDRESS again after disable."""
    _neighbor_control(run_dir, endpoint, server_key, client_key, "neighbor-enable",
                      neighbor=address)
