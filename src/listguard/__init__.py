"""listguard: open-source sanctions and watchlist screening."""

__version__ = "0.1.0"
