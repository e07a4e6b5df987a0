"""PAKN Gateway core: records, journal, queues, web app and the `pakn` command."""
