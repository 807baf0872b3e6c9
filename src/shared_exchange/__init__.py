"""Shared Exchange: the 政法云 data centre's pipeline and warehouse."""

__version__ = "0.1.0"
SOURCES = ("police", "procuratorate", "court", "justice")

__all__ = ["SOURCES", "__version__"]
