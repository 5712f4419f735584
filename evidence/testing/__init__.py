"""Test results (JUnit XML) and code coverage reports."""
