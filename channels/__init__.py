"""One adapter per channel: it turns what arrives into a journaled raw submission and answers the sender.

The way back, from journaled bytes to the ``Submission`` the normalizer sees, is ``channels.reading``
(``Readers``), with every channel's parser listed in ``channels.readers``.
"""
