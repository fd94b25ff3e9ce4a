"""Adds an HTML page route to schemas/openapi.json (tag "pages"), keeping the file's formatting.

    python tools/openapi_add_page.py /zoeken searchPage "Search page" [--param NAME ...] [--status 404 ...]

Pages answer text/html; their query parameters are documented by name and type string. Used while the
web pages were built in parallel, so that each route is added by one short command.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

OPENAPI = Path(__file__).resolve().parents[1] / "schemas" / "openapi.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("operation_id")
    parser.add_argument("summary")
    parser.add_argument("--param", action="append", default=[], help="a query parameter (string)")
    parser.add_argument("--status", action="append", default=[], help="an error status it may answer")
    parser.add_argument("--content-type", default="text/html")
    args = parser.parse_args()
    document = json.loads(OPENAPI.read_text())
    if not any(tag["name"] == "pages" for tag in document["tags"]):
        document["tags"].append({"name": "pages", "description": "Dutch (and English) web pages for residents"})
    parameters: list[dict[str, object]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _path_names(args.path)
    ]
    parameters += [{"name": name, "in": "query", "schema": {"type": "string"}} for name in args.param]
    parameters.append({"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["nl", "en"]}})
    responses: dict[str, object] = {
        "200": {"description": "the page", "content": {args.content_type: {"schema": {"type": "string"}}}}
    }
    for status in args.status:
        # Browsers get the error page, API clients problem+json (web/errors.py).
        responses[status] = {"$ref": "#/components/responses/ProblemOrPage"}
    document["paths"][args.path] = {
        "get": {
            "tags": ["pages"],
            "operationId": args.operation_id,
            "summary": args.summary,
            "parameters": parameters,
            "responses": responses,
        }
    }
    OPENAPI.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _path_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


if __name__ == "__main__":
    main()
