"""Typed application state."""

from __future__ import annotations

from aiohttp import web
from jinja2 import Environment

from node.federation.delivery import DeliveryWorker
from node.services.node import Node

NODE = web.AppKey("node", Node)
TEMPLATES = web.AppKey("templates", Environment)
DELIVERY = web.AppKey("delivery", DeliveryWorker)
