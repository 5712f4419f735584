"""The ``gatecheck`` command line: argument parsing, output selection and exit codes only."""
