"""One exception hierarchy. Every error carries a one-line message a user can act on.

The CLI prints ``diagnostics()`` and exits 2; an evaluation that raises any of these ends in
decision ``error``.
"""


class GatecheckError(Exception):
    """Root of every error gatecheck raises on purpose."""

    def diagnostics(self) -> str:
        return " ".join(str(self).split())


class UsageError(GatecheckError):
    """A command was called with arguments that cannot work."""


class ConfigError(GatecheckError):
    """The configuration, a data file or a waiver is invalid."""


class BundleError(GatecheckError):
    """A bundle cannot be created, read or changed."""


class TamperError(BundleError):
    """A sealed bundle does not match its manifest."""


class EvidenceError(GatecheckError):
    """An evidence file cannot be read, is malformed, or is of no supported type."""


class PolicyError(GatecheckError):
    """The policy set cannot be loaded or does not compile."""


class EngineError(GatecheckError):
    """The OPA engine failed, timed out, or returned something unusable."""


class ReportError(GatecheckError):
    """A report cannot be written, read, signed or verified."""
