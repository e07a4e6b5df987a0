"""The conversation every chat channel holds with a citizen (Telegram, Zalo), whatever the platform.

- ``engine``: what to answer to each message (asks only for what is missing, checks every answer with
  the normalizer on the spot, location pins, confirm, tracking code, look-up by code).
- ``store``: conversation state and handled update ids, in the journal (each platform's own tables).
- ``files``: attachments kept by SHA-256 under PAKN_DATA_DIR/attachments.
"""
