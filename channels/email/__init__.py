"""The email channel: an SMTP listener for the shared address and an IMAP poller for a shared mailbox.

- ``parse``: a raw mail → SubmissionFields (the ``channels.readers`` entry for ``message/rfc822``)
- ``attachments``: limits, forbidden types, archive bombs; bytes stored by SHA-256
- ``intake``: what both listeners do with one mail (journal it, or complete a waiting submission)
- ``smtp`` (`pakn smtp`), ``imap`` (`pakn imap`, `pakn mail backfill`)
- ``notifier``: answers through the outbound relay, RFC 3834 loop safety in ``loops``
"""
