"""A tiny payments service: the artifact of gatecheck's example release."""

__version__ = "1.4.0"
