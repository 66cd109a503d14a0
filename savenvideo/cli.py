"""The `savenvideo` command line: one console script, one module per subcommand.

Every module in ``savenvideo.commands`` that defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args)`` becomes a subcommand. Modules import their heavy dependencies inside ``run`` so that
``savenvideo --help`` stays fast.
"""

import argparse
import importlib
import pkgutil
import sys

from savenvideo import __version__, commands


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{commands.__name__}.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="savenvideo", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"savenvideo {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args) or 0


if __name__ == "__main__":
    sys.exit(main())
