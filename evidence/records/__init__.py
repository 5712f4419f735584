"""gatecheck's own record types (release manifest, governance and lifecycle records) and their in-toto forms."""
