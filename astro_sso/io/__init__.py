"""Input and output helpers: atomic writes of tables, figures and text."""

from .atomic import atomic_path, write_table, write_text

__all__ = ["atomic_path", "write_table", "write_text"]
