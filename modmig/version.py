"""modmig's version: one source for the package metadata, the CLI, JSON documents and history rows.

It is its own module, at the bottom of the layers, so that the recorder or the squash writer can
name the version without importing the package root (which reaches up to ``modmig.api``).
"""

__version__ = "0.1.0"
