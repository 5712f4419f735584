"""gatecheck: policy-as-code release gates evaluated by OPA."""

# Single source of the version (pyproject reads it), kept static so startup stays fast.
__version__ = "0.1.0"
