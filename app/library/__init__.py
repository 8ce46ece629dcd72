"""The global content library: packages with immutable versions, deployed to tenants."""
