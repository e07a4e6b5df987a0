"""The Telegram channel: a bot that collects a complete submission in conversation.

- ``conversation``: what the bot says to each message (asks only for what is missing, checks every
  answer with the normalizer on the spot); no Telegram types, so it reads as the dialogue it is.
- ``store``: conversation state and handled update ids, in the journal (they survive restarts).
- ``bot``: the python-telegram-bot ``Application`` around it (polling for development).
- ``webhook``: the ``/telegram/webhook`` route of the gateway's HTTP app (production).
- ``payload``: the journaled raw submission, and its parser.  ``notify``: status changes to the chat.
"""
