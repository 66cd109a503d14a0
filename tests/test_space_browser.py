"""The Space in a real browser: start space/app.py on localhost, upload clips in headless Chromium, read the page.

Needs Debian's `chromium` and the `playwright` and `gradio` Python packages; without them the browser test skips
(installing nothing). The screenshot is kept at outputs/test-artifacts/space.png for a person to look at.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from huggingface_hub import SpaceCard

ROOT = Path(__file__).resolve().parents[1]
SPACE = ROOT / "space"
SCREENSHOT = ROOT / "outputs" / "test-artifacts" / "space.png"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 45
ANSWER_MS = 20_000


def test_space_folder_is_what_the_hub_expects():
    card = SpaceCard.load(SPACE / "README.md")
    assert card.data.sdk == "gradio" and (SPACE / card.data.app_file).is_file()
    assert card.data.python_version == "3.11" and card.data.sdk_version
    lines = [line.split("#")[0].strip() for line in (SPACE / "requirements.txt").read_text().splitlines()]
    names = {re.split(r"[=<>\[ ]", line)[0].lower() for line in lines if line}
    assert {"torch", "torchcodec", "transformers", "matplotlib"} <= names
    assert "gradio" not in names, "the Hub installs gradio from sdk_version"
    assert "ffmpeg" in (SPACE / "packages.txt").read_text().split()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the Space exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the Space did not answer on {url} within {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def space_url(tmp_path):
    """space/app.py with the tiny checkpoint it builds itself, on a free localhost port; stopped afterwards."""
    for package in ("gradio", "matplotlib"):
        pytest.importorskip(package, reason=f"the Space needs {package} (pip install {package})")
    port = _free_port()
    env = {
        **os.environ,
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "TMPDIR": str(tmp_path),  # the tiny checkpoint and example clips land here and go with the test
    }
    env.pop("SAVENVIDEO_MODEL", None)
    log = tmp_path / "space.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [sys.executable, "app.py"], cwd=SPACE, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_serving(f"http://127.0.0.1:{port}/", server, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _ask(page, video: Path, question: str) -> str:
    """Upload `video` (replacing any earlier one), ask `question`, and return the notes once the app has replied."""
    clear = page.locator("#video button[aria-label='Clear']")
    if clear.count():
        clear.click()
    page.set_input_files("#video input[type=file]", str(video))
    before = page.inner_text("#notes")
    page.fill("#question textarea", question)
    page.click("#ask")
    # Done = the notes changed and their progress tracker is hidden again (while busy it shows a timer there).
    page.wait_for_function(
        """before => {
            const notes = document.querySelector('#notes');
            const tracker = notes.querySelector('[data-testid=status-tracker]');
            return notes.innerText.trim() !== before.trim() && (!tracker || tracker.classList.contains('hide'));
        }""",
        arg=before,
        timeout=ANSWER_MS,
    )
    return page.inner_text("#notes")


@pytest.fixture
def sync_api():
    """Playwright driving the system Chromium; skips (before the Space starts) where either is missing."""
    if CHROMIUM is None:
        pytest.skip("no Chromium on PATH: apt-get install -y chromium (the test installs nothing itself)")
    return pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package")


@pytest.mark.slow
def test_upload_ask_and_see_frames_and_audio_windows(sync_api, space_url, synthetic_clip, tmp_path):
    clip, _ = synthetic_clip(seconds=12.0, seed=1, size=(320, 180))
    silent, _ = synthetic_clip(seconds=6.0, seed=2, audio=False)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video" * 64)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.goto(space_url)
            page.wait_for_selector("#video input[type=file]", state="attached", timeout=ANSWER_MS)
            assert "tiny random-weight checkpoint" in page.inner_text("#model-info")

            notes = _ask(page, silent, "What colour fills the screen?")
            assert "This video has no sound" in notes
            assert page.input_value("#answer textarea").strip()

            notes = _ask(page, broken, "What happens?")
            assert "“broken.mp4” could not be read as a video: not a media file" in notes
            assert page.input_value("#answer textarea") == ""
            assert page.locator("#frames img").count() == 0
            for close in page.locator(".toast-close").all():  # Gradio's own "Video not playable" pop-up
                close.click()

            notes = _ask(page, clip, "What sound plays at 00:00:05?")
            assert page.input_value("#answer textarea").strip()
            assert "Times read from your question: 5.0 s" in notes and "no sound" not in notes
            captions = page.locator("#frames .caption-label").all_inner_texts()
            assert captions == ["frame 1 · 1.5 s", "frame 2 · 4.5 s", "frame 3 · 7.5 s", "frame 4 · 10.5 s"]
            page.wait_for_function(  # every thumbnail and the audio plot drawn, not just announced
                """() => {
                    const images = [...document.querySelectorAll('#frames img, #audio-plot img')];
                    return images.length === 5 && images.every(image => image.complete && image.naturalWidth > 0);
                }""",
                timeout=ANSWER_MS,
            )
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            print(f"screenshot: {SCREENSHOT}")
        finally:
            browser.close()
