"""Sportnode: a lightweight node that publishes a local sport offering as linked data."""
