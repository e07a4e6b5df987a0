"""The app layer: what alone composes everything (the web application, the `pakn` command line, the
supervisor, the worker and sweeper entry points, metrics) and the only place the process's runtime is
looked up (``pakn.app.runtime.get_runtime``).  Nothing below it imports it (docs/architecture.md)."""
