"""Settings and the editable data (categories, required fields, holidays, messages)."""

from config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
