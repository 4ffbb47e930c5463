"""CORS for the public endpoints, for the origins listed in CORS_ORIGINS."""

from __future__ import annotations

from flask import Flask, Response, request

PUBLIC_PREFIXES = ("/api/v1/treatment-types", "/api/v1/availability", "/api/v1/openapi.json")


def register(app: Flask, origins: tuple[str, ...]) -> None:
    allowed = set(origins)

    @app.after_request
    def _cors(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if not origin or not request.path.startswith(PUBLIC_PREFIXES):
            return response
        if "*" in allowed or origin.rstrip("/") in allowed:
            response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
            response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = "600"
            response.vary.add("Origin")
        return response
