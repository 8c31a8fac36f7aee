"""The API docs (/api/v1/docs, Swagger UI) come from the platform's static files only."""

from __future__ import annotations

import re

from django.test import Client


def test_every_resource_of_the_api_docs_is_served_locally(client: Client, db: None) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert re.findall(r"https?://", page) == []
    resources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(r.endswith(".js") for r in resources) and any(r.endswith(".css") for r in resources)
    for resource in resources:
        assert resource.startswith("/static/"), resource
        assert client.get(resource).status_code == 200, resource
