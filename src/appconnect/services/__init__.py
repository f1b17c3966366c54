"""Workflows behind the routes. No FastAPI here: every service is callable (and testable) without HTTP."""
