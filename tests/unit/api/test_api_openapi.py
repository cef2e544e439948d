from __future__ import annotations

from fastapi.testclient import TestClient


def test_openapi_lists_roles_and_error_bodies(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "smartinspect"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("x-roles"), f"{method.upper()} {path} has no x-roles"
            error_422 = operation["responses"].get("422")
            if error_422 is not None:
                ref = error_422["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorPublic")
    assert "ErrorPublic" in schema["components"]["schemas"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_docs_page_is_served(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
