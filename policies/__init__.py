"""gatecheck's built-in Rego control library and its default data (package data)."""
