"""Forwards each accepted case exactly once to the case store, through RQ jobs on Redis."""
