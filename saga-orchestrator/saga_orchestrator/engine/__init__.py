"""The workflow engine: pure decisions over workflows given as data. No I/O, and no word of orders."""
