"""The repository layout promises: namespaced imports, no shadowing, every package installed, a working CLI."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _package_dirs() -> dict[str, Path]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping = {name: ROOT / path for name, path in config["package-dir"].items()}
    found = {}
    for name, folder in mapping.items():
        for init in folder.rglob("__init__.py"):
            relative = init.parent.relative_to(folder).parts
            found[".".join((name, *relative))] = init.parent
    return found


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    missing = set(_package_dirs()) - listed
    assert not missing, f"add these packages to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_design_folders_do_not_shadow_common_top_level_names(tmp_path):
    """`processing`, `train`, ... must not become importable top-level names because this project is installed."""
    names = ("processing", "train", "tests", "modeling_savenvideo", "dataset_scripts", "evaluate_metrics")
    code = (
        "import importlib.util as u, sys\n"
        f"for n in {names!r}:\n"
        "    s = u.find_spec(n)\n"
        "    print(n, list(s.submodule_search_locations or [s.origin]) if s else None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    ours = [line for line in out.stdout.splitlines() if str(ROOT) in line]
    leaked = [line for line in ours if str(ROOT / ".venv") not in line]
    assert not leaked, leaked


def test_remote_code_folders_only_import_siblings_relatively():
    """save_pretrained copies these modules flat into a checkpoint: absolute project imports would break there."""
    for folder in ("modeling_savenvideo", "processing"):
        for module in (ROOT / folder).glob("*.py"):
            text = module.read_text()
            assert "from savenvideo" not in text and "import savenvideo" not in text, module
            assert "from .." not in text, module


def test_cli_lists_subcommands_and_help_works_everywhere():
    from savenvideo.cli import build_parser

    parser = build_parser()
    subcommands = parser._subparsers._group_actions[0].choices
    assert subcommands, "no subcommands registered"
    for name in subcommands:
        result = subprocess.run(
            [sys.executable, "-m", "savenvideo.cli", name, "--help"], capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, (name, result.stderr)
        assert "usage: savenvideo" in result.stdout
