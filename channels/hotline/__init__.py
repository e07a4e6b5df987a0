"""The hotline channel: the operator console, Twilio voice and SMS webhooks, and PBX call records.

Modules: ``payloads`` (what is journaled and how it is read back), ``store`` (calls, operators,
sessions), ``auth`` (passwords, sessions, CSRF, API tokens), ``calls`` (logging a call: shared by the
console and the operator API), ``twilio_hooks``, ``console``, ``operator_api``, ``sms`` (notifiers),
``cdr`` (PBX import), ``cli`` and ``web`` (the router the gateway includes).
"""
