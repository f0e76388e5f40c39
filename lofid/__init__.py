"""lofid: an endless lo-fi study-music daemon."""

__version__ = "0.1.0"
