"""`evaluate` metric modules, each in its own folder loadable with evaluate.load(path)."""
