"""The citizen web pages (form, receipt, lookup), their abuse controls, and the statistics page.

``router`` (in ``channels.web.routes``) is included by ``pakn/app/web.py``; what the form journals is read
back by ``channels.web.payload.fields_of_payload`` (a ``channels.readers`` entry).
"""
