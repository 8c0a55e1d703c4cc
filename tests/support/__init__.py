"""Test support shared by the page tests, the e2e and load tests, and the benchmark."""
