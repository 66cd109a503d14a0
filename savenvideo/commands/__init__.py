"""Subcommands of the `savenvideo` console script, one module each (see savenvideo/cli.py)."""
