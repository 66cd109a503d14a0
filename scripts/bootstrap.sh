#!/usr/bin/env bash
# Creates .venv/ in the repository root and installs the project with the pinned stack.
# Idempotent: `make` only re-runs it when pyproject.toml or constraints.txt change.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

need_root() {
    echo "error: $1" >&2
    echo "       install it (Debian: sudo apt-get install -y $2) and run make again." >&2
    exit 1
}

apt_install() {
    if [ "$(id -u)" -ne 0 ]; then need_root "$1" "$2"; fi
    echo "==> installing $2 with apt-get ($1)"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $2
}

# torchcodec (and datasets' Video/Audio features) load the system FFmpeg shared libraries at import time.
if ! ldconfig -p 2>/dev/null | grep -q 'libavformat\.so\.'; then
    apt_install "the FFmpeg shared libraries (libavformat, libavcodec, libavutil) are missing" ffmpeg
fi

# The Space's end-to-end test drives Debian's Chromium headless (Playwright never downloads a browser here).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        apt_install "Chromium is missing (needed by the browser test of the Space)" chromium
    else
        echo "warning: no chromium on PATH; the Space's browser test will be skipped (sudo apt-get install -y chromium)" >&2
    fi
fi

if ! "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 10)' 2>/dev/null; then
    echo "error: $PYTHON is missing or older than Python 3.10; set PYTHON=/path/to/python3.11" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    apt_install "Python's venv module is missing" python3-venv
fi

if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv with $("$PYTHON" --version)"
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade "pip>=24"
echo "==> installing savenvideo[dev] with the versions pinned in constraints.txt"
.venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
