"""Tenants' own content in several languages: translations, their exchange files and their review."""
