"""Helpers shared by several test files (never a test file itself: test files do not import
one another). Fixtures live in tests/conftest.py; these are plain functions and classes."""
