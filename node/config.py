"""The node's configuration file (TOML): reading, checking and writing it."""

from __future__ import annotations

import ipaddress
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_CONFIG_PATH = Path("/etc/sportnode/sportnode.toml")


DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_TILE_ATTRIBUTION = '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap-bijdragers</a>'
# What Leaflet fills in a tile URL template; any other {name} would stop the map with an error.
TILE_PLACEHOLDERS = frozenset({"s", "z", "x", "y", "-y", "r"})


ROUTE_LIMITS = ("page", "search", "sparql", "api", "inbox", "federation")  # rates; static and other have none
ROUTE_CLASSES = (*ROUTE_LIMITS, "static", "other")  # as node/web/metrics.py classes requests


@dataclass(frozen=True)
class RateLimits:
    """Request limits (docs/operator.md, "Limits"): requests per minute per client address by route
    class, the inbox's per signing host, and how many requests of each class run at once."""

    per_minute: tuple[tuple[str, int], ...] = (("page", 240), ("search", 60), ("sparql", 20), ("api", 120),
                                               ("inbox", 1200), ("federation", 300))
    inbox_per_host_per_minute: int = 1200
    burst_seconds: int = 15
    concurrency: tuple[tuple[str, int], ...] = (("page", 8), ("search", 4), ("sparql", 2), ("api", 4),
                                                ("inbox", 8), ("federation", 8), ("static", 16), ("other", 8))
    queue_ms: int = 2000
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    max_clients: int = 10_000
    key_fetches_per_host_per_minute: int = 30
    key_failure_cache_seconds: int = 300


class ConfigError(Exception):
    """The config file is missing, unreadable, or a setting has a wrong value; the text names it."""


@dataclass(frozen=True)
class Config:
    name: str
    base_url: str
    data_dir: Path
    development: bool = False
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 1_048_576
    max_json_depth: int = 32
    allow_domains: tuple[str, ...] = ()
    block_domains: tuple[str, ...] = ()
    # The OpenActive Activity List (JSON-LD); None: $SPORTNODE_ACTIVITY_LIST, else ../shared beside the checkout.
    activity_list: Path | None = None
    role: str = "node"  # or "aggregator": re-publishes what it holds to its own followers
    follow: tuple[str, ...] = ()
    # Hosts an Announce may make us fetch from besides those we follow (docs/federation.md); "*" is any.
    trust: tuple[str, ...] = ()
    reconcile_minutes: int = 15
    # The map's tiles (docs/operator.md: the default server's usage policy); "" draws markers on a blank map.
    tile_url: str = DEFAULT_TILE_URL
    tile_attribution: str = DEFAULT_TILE_ATTRIBUTION
    # Who may read /metrics: addresses or networks (docs/operator.md, "Monitoring").
    metrics_allow: tuple[str, ...] = ("127.0.0.1", "::1")
    log_format: str = "text"  # or "json": one JSON object per line
    rate_limits: RateLimits = RateLimits()

    @property
    def is_aggregator(self) -> bool:
        return self.role == "aggregator"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "sportnode.sqlite3"

    @property
    def node_id(self) -> str:
        """The node's own actor id: its base URL with a trailing slash."""
        return self.base_url + "/"


# (section, key, type, default) — the single list of settings; docs/operator.md documents each one
# and a test checks that.
SETTINGS: tuple[tuple[str, str, type, Any], ...] = (
    ("node", "name", str, None),
    ("node", "base_url", str, None),
    ("node", "data_dir", str, None),
    ("node", "development", bool, False),
    ("node", "role", str, "node"),
    ("server", "host", str, "127.0.0.1"),
    ("server", "port", int, 8080),
    ("limits", "max_body_bytes", int, 1_048_576),
    ("limits", "max_json_depth", int, 32),
    *(("limits", f"{name}_per_minute", int, dict(RateLimits.per_minute)[name]) for name in ROUTE_LIMITS),
    ("limits", "inbox_per_host_per_minute", int, 1200),
    ("limits", "burst_seconds", int, 15),
    *(("limits", f"{name}_concurrency", int, dict(RateLimits.concurrency)[name]) for name in ROUTE_CLASSES),
    ("limits", "queue_ms", int, 2000),
    ("limits", "trusted_proxies", list, ["127.0.0.1", "::1"]),
    ("limits", "max_clients", int, 10_000),
    ("limits", "key_fetches_per_host_per_minute", int, 30),
    ("limits", "key_failure_cache_seconds", int, 300),
    ("federation", "allow_domains", list, []),
    ("federation", "block_domains", list, []),
    ("federation", "follow", list, []),
    ("federation", "trust", list, []),
    ("federation", "reconcile_minutes", int, 15),
    ("openactive", "activity_list", str, ""),
    ("web", "tile_url", str, DEFAULT_TILE_URL),
    ("web", "tile_attribution", str, DEFAULT_TILE_ATTRIBUTION),
    ("metrics", "allow", list, ["127.0.0.1", "::1"]),
    ("logging", "format", str, "text"),
)


def _setting(raw: dict[str, Any], section: str, key: str, kind: type, default: Any) -> Any:
    value = raw.get(section, {}).get(key, default)
    if value is None:
        raise ConfigError(f"[{section}] {key} is required")
    # bool is an int subclass in Python; a port of `true` must not pass.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"[{section}] {key} must be a {kind.__name__}, not {value!r}")
    if isinstance(value, list) and not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(f"[{section}] {key} must be a list of domain names, not {value!r}")
    return value


def _optional_path(text: str, relative_to: Path) -> Path | None:
    """A configured file; empty means "not set". A relative path counts from the config file's folder."""
    return relative_to / text if text.strip() else None


def check_base_url(url: str, development: bool) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"[node] base_url must be an absolute http(s) URL, not {url!r}")
    if parts.scheme == "http" and not development:
        raise ConfigError("[node] base_url must use https unless development = true")
    return url.rstrip("/")


def check_tile_url(url: str, development: bool) -> str:
    """A tile URL template ({z}/{x}/{y}, optionally {s} and {r}), or "" for a map without tiles."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or "{" in parts.netloc.replace("{s}", ""):
        raise ConfigError(f'[web] tile_url must be an http(s) URL template or "", not {url!r}')
    if parts.scheme == "http" and not development:
        raise ConfigError("[web] tile_url must use https unless development = true")
    placeholders = set(re.findall(r"\{([^{}]*)\}", url))
    if not {"z", "x"} <= placeholders or not placeholders & {"y", "-y"} or placeholders - TILE_PLACEHOLDERS:
        raise ConfigError(f"[web] tile_url must contain {{z}}, {{x}} and {{y}} and no other {{...}} but {{s}}, {{r}}, not {url!r}")
    return url


def check_networks(entries: list[str]) -> tuple[str, ...]:
    """Addresses or networks ("127.0.0.1", "10.0.0.0/8", "::1"), each checked as one."""
    for entry in entries:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise ConfigError(f"[metrics] allow must list IP addresses or networks, not {entry!r}") from None
    return tuple(entry.strip() for entry in entries)


def _proxies(entries: list[str]) -> tuple[str, ...]:
    try:
        return check_networks(entries)
    except ConfigError:
        raise ConfigError(f"[limits] trusted_proxies must list IP addresses or networks, not {entries!r}") from None


def _rate_limits(values: dict[str, Any]) -> RateLimits:
    numbers = [k for k, v in values.items() if k.startswith("limits.") and isinstance(v, int)]
    if any(values[k] < 1 for k in numbers if k not in ("limits.queue_ms", "limits.key_failure_cache_seconds")):
        raise ConfigError("[limits] every rate, burst_seconds, concurrency and max_clients must be at least 1")
    return RateLimits(
        per_minute=tuple((name, values[f"limits.{name}_per_minute"]) for name in ROUTE_LIMITS),
        inbox_per_host_per_minute=values["limits.inbox_per_host_per_minute"],
        burst_seconds=values["limits.burst_seconds"],
        concurrency=tuple((name, values[f"limits.{name}_concurrency"]) for name in ROUTE_CLASSES),
        queue_ms=max(0, values["limits.queue_ms"]),
        trusted_proxies=_proxies(values["limits.trusted_proxies"]),
        max_clients=values["limits.max_clients"],
        key_fetches_per_host_per_minute=values["limits.key_fetches_per_host_per_minute"],
        key_failure_cache_seconds=max(0, values["limits.key_failure_cache_seconds"]),
    )


def parse_config(raw: dict[str, Any], relative_to: Path) -> Config:
    values = {f"{s}.{k}": _setting(raw, s, k, t, d) for s, k, t, d in SETTINGS}
    development = values["node.development"]
    data_dir = Path(values["node.data_dir"])
    if not data_dir.is_absolute():
        data_dir = relative_to / data_dir
    config = Config(
        name=values["node.name"],
        base_url=check_base_url(values["node.base_url"], development),
        data_dir=data_dir,
        development=development,
        host=values["server.host"],
        port=values["server.port"],
        max_body_bytes=values["limits.max_body_bytes"],
        max_json_depth=values["limits.max_json_depth"],
        allow_domains=tuple(d.strip().lower() for d in values["federation.allow_domains"]),
        block_domains=tuple(d.strip().lower() for d in values["federation.block_domains"]),
        activity_list=_optional_path(values["openactive.activity_list"], relative_to),
        role=values["node.role"],
        follow=tuple(t.strip() for t in values["federation.follow"]),
        trust=tuple(d.strip().lower() for d in values["federation.trust"]),
        reconcile_minutes=values["federation.reconcile_minutes"],
        tile_url=check_tile_url(values["web.tile_url"].strip(), development),
        tile_attribution=values["web.tile_attribution"].strip(),
        metrics_allow=check_networks(values["metrics.allow"]),
        log_format=values["logging.format"],
        rate_limits=_rate_limits(values),
    )
    if config.log_format not in ("text", "json"):
        raise ConfigError(f'[logging] format must be "text" or "json", not {config.log_format!r}')
    if config.role not in ("node", "aggregator"):
        raise ConfigError(f'[node] role must be "node" or "aggregator", not {config.role!r}')
    if config.reconcile_minutes < 1:
        raise ConfigError("[federation] reconcile_minutes must be at least 1")
    if not 0 < config.port < 65536:
        raise ConfigError(f"[server] port must be between 1 and 65535, not {config.port}")
    if config.max_body_bytes < 1024 or config.max_json_depth < 4:
        raise ConfigError("[limits] max_body_bytes must be >= 1024 and max_json_depth >= 4")
    return config


def load_config(path: Path) -> Config:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no config file at {path}; create one with `sportnode init`") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    return parse_config(raw, path.parent)


def render_config(config: Config) -> str:
    # json.dumps gives a valid TOML basic string for any text.
    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)

    return "\n".join(
        [
            "[node]",
            f"name = {q(config.name)}",
            f"base_url = {q(config.base_url)}",
            f"data_dir = {q(str(config.data_dir))}",
            f"development = {'true' if config.development else 'false'}",
            f"role = {q(config.role)}",
            "",
            "[server]",
            f"host = {q(config.host)}",
            f"port = {config.port}",
            "",
            "[limits]",
            f"max_body_bytes = {config.max_body_bytes}",
            f"max_json_depth = {config.max_json_depth}",
            "",
            "[federation]",
            "# Follows of our actors are accepted unless the follower's domain is blocked, or an allow",
            "# list is set and does not name it (subdomains count).",
            f"allow_domains = {json.dumps(list(config.allow_domains))}",
            f"block_domains = {json.dumps(list(config.block_domains))}",
            "# What this node follows by itself (actor URLs or user@host); `sportnode follow` adds more.",
            f"follow = {json.dumps(list(config.follow))}",
            "# Hosts an aggregator's Announce may make this node fetch from, besides those it follows.",
            f"trust = {json.dumps(list(config.trust))}",
            f"reconcile_minutes = {config.reconcile_minutes}",
            "",
            "[openactive]",
            "# The OpenActive Activity List (JSON-LD file); empty: $SPORTNODE_ACTIVITY_LIST, else",
            "# ../shared/data/openactive/activity-list.jsonld beside the checkout.",
            f"activity_list = {q(str(config.activity_list) if config.activity_list else '')}",
            "",
            "[web]",
            "# The map's tile server and its attribution (text and links); mind its usage policy",
            '# (docs/operator.md). tile_url = "" shows the markers on a blank map and asks no tile server.',
            f"tile_url = {q(config.tile_url)}",
            f"tile_attribution = {q(config.tile_attribution)}",
            "",
            "[metrics]",
            "# Addresses or networks that may read /metrics (Prometheus); everyone else gets 403.",
            f"allow = {json.dumps(list(config.metrics_allow))}",
            "",
            "[logging]",
            '# "text": one line per event; "json": one JSON object per line (for Loki, Elasticsearch, ...).',
            f"format = {q(config.log_format)}",
            "",
        ]
    )
