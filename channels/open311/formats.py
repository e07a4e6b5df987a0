"""GeoReport v2's resources as typed records, and their two formats: JSON and XML.

Each answer is built once as records and written either way, so the two cannot drift apart: the XML is
the spec's (schemaless, no namespace, ``<?xml ... encoding="utf-8"?>``), the JSON its Spark-convention
mapping (a list where the XML has a list element; ``null`` where the XML has an empty element).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, fields, is_dataclass
from enum import StrEnum
from typing import Any, ClassVar

from starlette.responses import Response

from pakn.responses import JSONResponse


class Format(StrEnum):
    JSON = "json"
    XML = "xml"

    @property
    def media_type(self) -> str:
        return "application/json" if self is Format.JSON else "text/xml"


OMIT_EMPTY = {"omit_empty": True}  # a field left out when empty (an attribute's ``values``), not written as null


@dataclass(frozen=True, slots=True)
class Service:
    ELEMENT: ClassVar[str] = "service"
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


@dataclass(frozen=True, slots=True)
class AttributeValue:
    ELEMENT: ClassVar[str] = "value"
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Attribute:
    ELEMENT: ClassVar[str] = "attribute"
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: tuple[AttributeValue, ...] = field(default=(), metadata=OMIT_EMPTY)


@dataclass(frozen=True, slots=True)
class ServiceDefinition:
    service_code: str
    attributes: tuple[Attribute, ...]


@dataclass(frozen=True, slots=True)
class Created:
    """POST requests' answer (and the updates extension's): the request's id, never a token."""

    ELEMENT: ClassVar[str] = "request"
    service_request_id: str
    service_notice: str | None
    account_id: str | None


@dataclass(frozen=True, slots=True)
class ServiceRequest:
    ELEMENT: ClassVar[str] = "request"
    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str | None
    service_code: str | None
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str | None
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


@dataclass(frozen=True, slots=True)
class Endpoint:
    ELEMENT: ClassVar[str] = "endpoint"
    specification: str
    url: str
    changeset: str
    type: str
    formats: tuple[str, ...] = field(metadata={"item": "format"})


@dataclass(frozen=True, slots=True)
class Discovery:
    """Service Discovery (wiki.open311.org/Service_Discovery): where the API is and what it speaks."""

    changeset: str
    contact: str
    key_service: str
    endpoints: tuple[Endpoint, ...]


@dataclass(frozen=True, slots=True)
class Error:
    ELEMENT: ClassVar[str] = "error"
    code: int
    description: str


# Characters XML 1.0 cannot carry at all (C0 controls but tab and newlines, U+FFFE/FFFF, lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _json(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _json(getattr(value, f.name))
            for f in fields(value)
            if not (f.metadata.get("omit_empty") and not getattr(value, f.name))
        }
    if isinstance(value, tuple):
        return [_json(item) for item in value]
    return value


def _element(parent: ET.Element, name: str, value: Any, item: str | None = None) -> None:
    """``value`` as the element ``name``; a tuple's items as children named ``item`` (else each record's)."""
    node = ET.SubElement(parent, name)
    if is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            inner = getattr(value, f.name)
            if not (f.metadata.get("omit_empty") and not inner):
                _element(node, f.name, inner, f.metadata.get("item"))
    elif isinstance(value, tuple):
        for each in value:
            _element(node, item or each.ELEMENT, each)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = _NOT_XML.sub("", str(value))


def xml_bytes(root: str, content: tuple[Any, ...] | Any) -> bytes:
    """The document: a list of records under ``root``, or one record's fields under ``root``."""
    top = ET.Element(root)
    if isinstance(content, tuple):
        for record in content:
            _element(top, record.ELEMENT, record)
    else:
        for f in fields(content):
            _element(top, f.name, getattr(content, f.name))
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode").encode()


def answer(
    fmt: Format, root: str, content: tuple[Any, ...] | Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A list of records (``services``, ``service_requests``, ``errors``) or one record (``service_definition``)."""
    if fmt is Format.XML:
        return Response(xml_bytes(root, content), status, headers, media_type="text/xml; charset=utf-8")
    return JSONResponse(_json(content), status_code=status, headers=headers)


def errors(fmt: Format, status: int, description: str, headers: dict[str, str] | None = None) -> Response:
    """GeoReport's error document: its code is the HTTP status (400 invalid, 403 api_key, 404 not found)."""
    return answer(fmt, "errors", (Error(status, description),), status, headers)
