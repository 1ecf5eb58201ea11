"""CLI command groups owned by the modules they drive; each exposes ``register(app)``."""
