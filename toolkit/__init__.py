"""plankit: track a yearly plan quarter by quarter in Excel."""
from toolkit.version import __version__

__all__ = ["__version__"]
