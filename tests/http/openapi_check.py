"""Send a request to a test server and check the exchange against docs/openapi.yaml.

`call` asserts the status, validates the response against the document (status, media
type, schema, security) and, when the server accepted the request, the request too, so
the document can be neither stricter nor looser than what the tests exercise. Loading
the document validates it as OpenAPI 3.1 (openapi-spec-validator, via openapi-core).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from openapi_core import OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse

from tests.support.paths import ROOT

DOCUMENT = ROOT / "docs" / "openapi.yaml"
SPEC = OpenAPI.from_file_path(str(DOCUMENT))
SERVER = "http://localhost:9108"  # the document's `servers` entry
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

_UNSET: Any = object()


async def call(
    client: TestClient[web.Request, web.Application],
    method: str,
    path: str,
    *,
    status: int = 200,
    json_body: Any = _UNSET,
    headers: dict[str, str] | None = None,
    request_valid: bool | None = None,
) -> Any:
    """`method path` (with `json_body` as JSON when given), assert the status and check
    the exchange against the document.

    The request is validated when `request_valid` is True, or by default when the
    server accepted it (status below 400); `request_valid=False` asserts the document
    rejects it too. Returns the decoded JSON body, the raw bytes of any other media type,
    or None when the response has no body.
    """
    sent = dict(headers or {})
    data = None
    if json_body is not _UNSET:
        data = json.dumps(json_body).encode()
        sent["Content-Type"] = "application/json"
    response = await client.request(method, path, data=data, headers=sent)
    body = await response.read()
    assert response.status == status, (method, path, response.status, body)

    route, _, query = path.partition("?")
    request = MockRequest(
        SERVER,
        method,
        route,
        args=dict(parse_qsl(query, keep_blank_values=True)) or None,
        headers=sent,
        data=data,
    )
    if request_valid or (request_valid is None and status < 400):
        SPEC.validate_request(request)
    elif request_valid is False:
        with pytest.raises(OpenAPIError):
            SPEC.validate_request(request)

    content_type = response.headers.get("Content-Type", "")
    SPEC.validate_response(
        request,
        MockResponse(
            body,
            status_code=response.status,
            headers=dict(response.headers),
            content_type=content_type,
        ),
    )
    if not body:
        return None
    if content_type.partition(";")[0].strip() == "application/json":
        return json.loads(body)
    return body


async def get(
    client: TestClient[web.Request, web.Application],
    path: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Any:
    """GET `path` through `call`."""
    return await call(client, "get", path, status=status, headers=headers)
