"""gatecheck: policy-as-code release gates evaluated by OPA."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gatecheck")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
