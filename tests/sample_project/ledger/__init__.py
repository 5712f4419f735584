"""A tiny ledger: the code under test whose test results and coverage become evidence."""
