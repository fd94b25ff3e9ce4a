"""The map's settings as the pages need them: the div's data attributes and the CSP's tile origins.

The contract between the pages and static/map.js is in docs/web.md ("Map").
"""

from __future__ import annotations

from urllib.parse import urlsplit

from node.config import Config

# Leaflet's default `subdomains`: a `{s}` in the tile URL becomes one of these.
TILE_SUBDOMAINS = ("a", "b", "c")

# What a page loads for a map, in this order, from /static/ (scripts at the end of the body).
MAP_STYLESHEETS = (
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet.markercluster/MarkerCluster.Default.css",
    "map.css",
)
MAP_SCRIPTS = (
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet.markercluster/leaflet.markercluster.js",
    "map.js",
)


def csp_img_sources(config: Config) -> list[str]:
    """The tile server's origin(s) for the Content-Security-Policy's img-src; none without tiles.

    A `{s}` in the host is spelled out per subdomain: CSP wildcards only cover a whole leftmost label.
    """
    if not config.tile_url:
        return []
    parts = urlsplit(config.tile_url)
    hosts = [parts.netloc.replace("{s}", s) for s in TILE_SUBDOMAINS] if "{s}" in parts.netloc else [parts.netloc]
    return [f"{parts.scheme}://{host}" for host in dict.fromkeys(hosts)]


def map_attributes(config: Config) -> dict[str, str]:
    """The data-tiles and data-attribution values of a `<div class="map">` (templates escape them)."""
    return {"data-tiles": config.tile_url, "data-attribution": config.tile_attribution}
