"""ExaBGP's environment settings (``exabgp.env``) and bgpmesh's own.

Theory of operation: ``SETTINGS`` lists every (section, key) with its type and
ExaBGP 4.2 default (``configuration/setup.py``); bgpmesh's own keys live under
the ``bgpmesh`` application.  ``load_environment`` reads, strongest first:

1. the environment: ``exabgp.tcp.port`` or ``exabgp_tcp_port`` (any case),
   ``bgpmesh.workers.count`` or ``bgpmesh_workers_count``;
2. ini files, in the order given (a later file wins): ``[exabgp.tcp]`` then
   ``port = 1179``; ``[bgpmesh.workers]`` for bgpmesh's;
3. the default.

Rules: pure (the caller passes ``os.environ`` and the paths; a missing file is
skipped); a bad value or an unknown key in a file is an ``EnvironmentError_``
naming where it came from; unknown ``exabgp_*`` variables are collected in
``Environment.unknown`` rather than refused, as shells carry stray ones.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bgpmesh.errors import BgpmeshError


class EnvironmentError_(BgpmeshError):  # noqa: N801 - OSError owns the plain name
    """A setting that does not parse, with where it came from."""


def _boolean(text: str) -> bool:
    word = text.strip().strip("'\"").lower()
    if word in ("1", "true", "yes", "on", "enable", "enabled"):
        return True
    if word in ("0", "false", "no", "off", "disable", "disabled", ""):
        return False
    raise ValueError("expected true or false")


def _integer(text: str) -> int:
    return int(text.strip().strip("'\""))


def _real(text: str) -> float:
    return float(text.strip().strip("'\""))


def _unquote(text: str) -> str:
    return text.strip().strip("'\"")


def _octal(text: str) -> int:
    return int(_unquote(text), 8)


def _ip_list(text: str) -> tuple[str, ...]:
    return tuple(_unquote(text).split())


_LEVELS = ("EMERG", "ALERT", "CRIT", "CRITICAL", "ERR", "ERROR", "WARNING", "NOTICE", "INFO",
           "DEBUG")


def _level(text: str) -> str:
    word = _unquote(text).upper()
    if word not in _LEVELS:
        raise ValueError(f"expected one of: {', '.join(_LEVELS)}")
    return word


def _encoder(text: str) -> str:
    word = _unquote(text).lower()
    if word not in ("json", "text"):
        raise ValueError("expected json or text")
    return word


def _ack_format(text: str) -> str:
    word = _unquote(text).lower()
    if word not in ("text", "json"):
        raise ValueError("expected text or json")
    return word


def _dialect(text: str) -> int:
    value = _integer(text)
    if value not in (4, 5):
        raise ValueError("expected 4 or 5")
    return value


_B, _I, _R, _S = _boolean, _integer, _real, _unquote
_Spec = tuple[Callable[[str], Any], str]

# (application, section) -> key -> (reader, default as ExaBGP writes it)
SETTINGS: dict[tuple[str, str], dict[str, _Spec]] = {
    ("exabgp", "profile"): {"enable": (_B, "false"), "file": (_S, "")},
    ("exabgp", "pdb"): {"enable": (_B, "false")},
    ("exabgp", "daemon"): {"pid": (_S, ""), "user": (_S, "nobody"), "daemonize": (_B, "false"),
                           "drop": (_B, "true"), "umask": (_octal, "0137")},
    ("exabgp", "log"): {
        "enable": (_B, "true"), "level": (_level, "INFO"), "destination": (_S, "stdout"),
        "all": (_B, "false"), "configuration": (_B, "true"), "reactor": (_B, "true"),
        "daemon": (_B, "true"), "processes": (_B, "true"), "network": (_B, "true"),
        "packets": (_B, "false"), "rib": (_B, "false"), "message": (_B, "false"),
        "timers": (_B, "false"), "routes": (_B, "false"), "parser": (_B, "false"),
        "short": (_B, "false"),
    },
    ("exabgp", "tcp"): {"once": (_B, "false"), "attempts": (_I, "0"), "delay": (_I, "0"),
                        "bind": (_ip_list, ""), "port": (_I, "179"), "acl": (_B, "false")},
    ("exabgp", "bgp"): {"openwait": (_I, "60"), "passive": (_B, "false")},
    ("exabgp", "cache"): {"attributes": (_B, "true"), "nexthops": (_B, "true")},
    ("exabgp", "api"): {
        "ack": (_B, "true"), "chunk": (_I, "1"), "encoder": (_encoder, "json"),
        "compact": (_B, "false"), "respawn": (_B, "true"), "terminate": (_B, "false"),
        "cli": (_B, "true"), "pipename": (_S, "exabgp"), "show-routes-format": (_S, "v1"),
    },
    ("exabgp", "reactor"): {"speed": (_R, "1.0")},
    ("exabgp", "debug"): {
        "pdb": (_B, "false"), "memory": (_B, "false"), "configuration": (_B, "false"),
        "selfcheck": (_B, "false"), "route": (_S, ""), "defensive": (_B, "false"),
        "rotate": (_B, "false"),
    },
    ("bgpmesh", "workers"): {"count": (_I, "0"), "neighbors": (_I, "0")},
    ("bgpmesh", "bus"): {"publish": (_S, ""), "subscribe": (_S, ""), "control": (_S, "")},
    # the JSON dialect of events to scripts: 4 (ExaBGP 4.x, "4.0.1") or 5 (5.0,
    # "5.0.0"); ExaBGP 5.0 has no such setting, its version is fixed.
    # ack-format: "done"/"error" lines, or 5.0's {"answer": ..., "message": ...}
    ("bgpmesh", "api"): {"dialect": (_dialect, "4"), "ack-format": (_ack_format, "text")},
}


@dataclass(frozen=True)
class Environment:
    """Typed settings: ``env.get("tcp", "port")``; ``origin`` says where each came from."""

    values: Mapping[tuple[str, str, str], Any]
    origin: Mapping[tuple[str, str, str], str] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()  # variables that look like settings but are none

    def get(self, section: str, key: str, application: str = "exabgp") -> Any:
        return self.values[(application, section, key)]

    def to_dict(self) -> dict:
        return {f"{a}.{s}.{k}": v for (a, s, k), v in self.values.items()}


def _read(application: str, section: str, key: str, text: str, where: str) -> Any:
    spec = SETTINGS.get((application, section), {}).get(key)
    if spec is None:
        known = ", ".join(SETTINGS.get((application, section), {})) or "none"
        raise EnvironmentError_(f"{where}: unknown setting {application}.{section}.{key}, "
                                f"expected one of: {known}")
    try:
        return spec[0](text)
    except ValueError as error:
        raise EnvironmentError_(f"{where}: invalid value {text!r} for "
                                f"{application}.{section}.{key}: {error}") from None


def _variable(name: str) -> tuple[str, str, str] | None:
    """``exabgp.tcp.port`` or ``exabgp_tcp_port`` -> (exabgp, tcp, port)."""
    lower = name.lower()
    for application in ("exabgp", "bgpmesh"):
        for separator in (".", "_"):
            head = application + separator
            if lower.startswith(head):
                rest = lower[len(head):]
                for (app, section), keys in SETTINGS.items():
                    if app != application or not rest.startswith(section + separator):
                        continue
                    key = rest[len(section) + 1:]
                    candidates = {key, key.replace("_", "-")}
                    for known in keys:
                        if known in candidates:
                            return application, section, known
                return application, "", rest
    return None


_NOT_SETTINGS = frozenset({"exabgp_envfile", "exabgp.envfile"})


def load_environment(env: Mapping[str, str],
                     ini_paths: Iterable[str | os.PathLike[str]] = ()) -> Environment:
    values: dict[tuple[str, str, str], Any] = {}
    origin: dict[tuple[str, str, str], str] = {}
    for (application, section), keys in SETTINGS.items():
        for key, (reader, default) in keys.items():
            values[(application, section, key)] = reader(default)
            origin[(application, section, key)] = "default"
    for path in ini_paths:
        path = os.fspath(path)
        if not os.path.isfile(path):
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as error:
            raise EnvironmentError_(f"{path}: {error}") from None
        for name in parser.sections():
            application, _, section = name.partition(".")
            if (application, section) not in SETTINGS:
                known = ", ".join(f"[{a}.{s}]" for a, s in SETTINGS)
                raise EnvironmentError_(f"{path}: unknown section [{name}], expected one of: "
                                        f"{known}")
            for key, text in parser.items(name):
                triple = (application, section, key)
                values[triple] = _read(application, section, key, text, f"{path} [{name}]")
                origin[triple] = path
    unknown = []
    for name, text in env.items():
        triple = _variable(name)
        if triple is None or name.lower() in _NOT_SETTINGS:
            continue
        if not triple[1]:
            unknown.append(name)
            continue
        values[triple] = _read(*triple, text, f"environment variable {name}")
        origin[triple] = "environment"
    return Environment(values, origin, tuple(sorted(unknown)))
