"""The Zalo Official Account channel: the same conversation as the Telegram bot, on Zalo's OA API.

- ``events``: Zalo's webhook events, their signature (X-ZEvent-Signature) and what the conversation
  needs of each; ``webhook``: the ``/zalo/webhook`` route and the web process's Zalo loop.
- ``inbox``: accepted events in the journal (200 once stored; a redelivery is recognised).
- ``chat``: the shared engine (``channels.conversation``) on Zalo's tables, replies through the OA.
- ``oa``: the OA's tokens (refreshed before they expire, kept in the journal) and its message API.
- ``payload``: the journaled raw submission; ``notify``: status changes to the Zalo user.
- ``tables``: the channel's tables (migration 0010_zalo).
"""
