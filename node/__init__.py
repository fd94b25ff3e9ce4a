"""Sportnode: a lightweight node that publishes a local sport offering as linked data."""

__version__ = "0.1.0"
