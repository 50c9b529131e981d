"""plankit: track a yearly plan quarter by quarter in Excel."""
__version__ = "0.1.0"
