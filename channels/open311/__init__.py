"""Open311 GeoReport v2 on the gateway, for the mobile app and other systems (``/open311/v2``, docs/open311.md).

Every endpoint answers in ``.json`` and ``.xml`` (``formats``: one set of records, written either way),
errors too (a list of ``code``/``description``, with the spec's HTTP status: 400, 403 api_key, 404):

* ``GET services.{fmt}`` — the fields (lĩnh vực) of ``config/data/categories.toml`` as services; each has
  metadata: the two attributes GeoReport lacks and the provincial rules require (``incident_time``) or
  allow (``confidential``), described by ``GET services/{service_code}.{fmt}``.
* ``POST requests.{fmt}`` — form-encoded as the spec says, with an ``api_key`` per app
  (OPEN311_API_KEYS); journaled like the web form (``channels.web.payload``, channel ``api``) through the
  one intake path before the answer, whose ``service_request_id`` is the tracking code.  An
  ``Idempotency-Key`` header makes a retry return the same code.
* ``GET requests.{fmt}`` — by ``service_request_id`` (comma list), or an app's own requests (its
  ``api_key``) filtered by ``service_code``, ``start_date``/``end_date`` and ``status`` (``query``).
* ``GET requests/{service_request_id}.{fmt}`` — its status; never the submitter's identity.
* ``POST requests/{service_request_id}/updates.{fmt}`` — ours, not the spec's: what a request that needs
  information was missing, proven by the POST's ``X-Completion-Token``; the JSON API's completion path.

``jurisdiction_id`` is optional (one jurisdiction); another than OPEN311_SERVER_JURISDICTION_ID is a 404.
No tokens: every service is ``realtime`` (the id is the tracking code, given at once).
"""

from channels.open311.views import router

__all__ = ["router"]
