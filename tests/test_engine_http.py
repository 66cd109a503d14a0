"""The OpenAI-compatible HTTP engine against real servers on 127.0.0.1: scripted aiohttp servers that speak
``/v1/chat/completions`` (to force 503s, stalls, dead nodes and count requests in flight) and `transformers serve`
running tiny Qwen2 / Qwen2-Audio / Qwen2-VL checkpoints."""

import asyncio
import base64
import io
import os
import socket
import subprocess
import sys
import threading
import time
import wave

import numpy as np
import pytest
from aiohttp import web
from PIL import Image
from transformers.utils.import_utils import is_serve_available

from savenvideo.dataset_scripts.engine_base import ChatRequest
from savenvideo.dataset_scripts.engine_config import build_engine
from savenvideo.dataset_scripts.engine_messages import audio_part, text_part, video_part
from savenvideo.dataset_scripts.engine_tiny_models import build_tiny_qwen2, build_tiny_qwen2_audio, build_tiny_qwen2_vl
from savenvideo.dataset_scripts.synthetic import SolidColour, Timeline, Tone, colour_named, nearest_colour


class ScriptedServer:
    """An aiohttp server in its own thread; ``reply(body, call_number)`` is an async function returning a response."""

    def __init__(self, reply):
        self.reply = reply
        self.bodies, self.headers = [], []
        self.in_flight = self.max_in_flight = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result()
        self.url = f"http://127.0.0.1:{self.port}/v1"

    async def _start(self):
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_post("/v1/chat/completions", self._handle)
        self.runner = web.AppRunner(app, shutdown_timeout=0.1)  # do not wait for stalled handlers
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]

    async def _handle(self, request):
        body = await request.json()
        self.bodies.append(body)
        self.headers.append(dict(request.headers))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self.reply(body, len(self.bodies))
        finally:
            self.in_flight -= 1

    def stop(self):
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


def completion(text):
    message = {"role": "assistant", "content": text}
    return web.json_response({"object": "chat.completion", "choices": [{"index": 0, "message": message}]})


async def echo_last_text(body, call):
    content = body["messages"][-1]["content"]
    text = content if isinstance(content, str) else next(p["text"] for p in content if p["type"] == "text")
    return completion(f"echo: {text}")


@pytest.fixture
def servers():
    started = []

    def start(reply=echo_last_text):
        started.append(ScriptedServer(reply))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_engine(urls, **settings):
    config = {"kind": "http", "model": "tiny", "base_urls": urls, "backoff_s": 0.01, "max_backoff_s": 0.05}
    return build_engine({**config, **settings})


def ask(text, **fields):
    return ChatRequest([{"role": "user", "content": [text_part(text)]}], **fields)


@pytest.fixture(scope="module")
def red_blue_clip(tmp_path_factory):
    from savenvideo.dataset_scripts.synthetic import ClipOptions, write_clip

    timeline = Timeline(
        duration=4.0,
        visuals=[
            SolidColour(start=0.0, end=2.0, background=colour_named("red")),
            SolidColour(start=2.0, end=4.0, background=colour_named("blue")),
        ],
        sounds=[Tone(start=0.5, end=1.5, frequency=440.0)],
    )
    return str(write_clip(tmp_path_factory.mktemp("http_clip") / "clip.mp4", timeline, ClipOptions()).path)


# -- protocol ----------------------------------------------------------------------------------------------------
def test_request_body_and_auth(servers, monkeypatch):
    server = servers()
    monkeypatch.setenv("TEST_ENGINE_KEY", "sekret")
    with http_engine([server.url], api_key_env="TEST_ENGINE_KEY", max_new_tokens=64, seed=1) as engine:
        results = engine.generate([ask("hello", max_new_tokens=7, temperature=0.5, request_id="r1"), ask("second")])
    assert [(r.request_id, r.text, r.attempts) for r in results[:1]] == [("r1", "echo: hello", 1)]
    assert results[1].text == "echo: second"
    first = next(body for body in server.bodies if body["max_tokens"] == 7)
    assert first == {
        "model": "tiny",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "hello"}]}],
        "max_tokens": 7,
        "temperature": 0.5,
        "top_p": 1.0,
        "seed": 1,
    }
    assert server.headers[0]["Authorization"] == "Bearer sekret"


def test_video_and_audio_travel_as_jpeg_frames_and_16k_wav(servers, red_blue_clip):
    server = servers()
    request = ChatRequest(
        [
            {"role": "system", "content": "You caption clips."},
            {
                "role": "user",
                "content": [
                    video_part(red_blue_clip, 2.0, 4.0, num_frames=4),
                    audio_part(red_blue_clip, 0.6, 1.4),
                    text_part("describe"),
                ],
            },
        ]
    )
    with http_engine([server.url], frame_max_side=80) as engine:
        assert engine.generate([request])[0].text == "echo: describe"
    body = server.bodies[0]
    assert body["messages"][0] == {"role": "system", "content": "You caption clips."}
    video, audio, text = body["messages"][1]["content"]
    prefix = "data:video/jpeg;base64,"
    assert video["type"] == "video_url" and video["video_url"]["url"].startswith(prefix)
    frames = [Image.open(io.BytesIO(base64.b64decode(f))) for f in video["video_url"]["url"][len(prefix) :].split(",")]
    assert [frame.size for frame in frames] == [(80, 45)] * 4  # 160 x 90 shrunk to frame_max_side
    assert [nearest_colour(np.median(np.asarray(f).reshape(-1, 3), axis=0)).name for f in frames] == ["blue"] * 4
    assert body["media_io_kwargs"] == {"video": {"num_frames": 4, "fps": 2.0}}
    assert audio["type"] == "input_audio" and audio["input_audio"]["format"] == "wav"
    with wave.open(io.BytesIO(base64.b64decode(audio["input_audio"]["data"]))) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getnframes()) == (16_000, 1, 2, 12_800)
        samples = np.frombuffer(wav.readframes(12_800), dtype="<i2") / 32768.0
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    assert abs(np.fft.rfftfreq(len(samples), 1 / 16_000)[np.argmax(spectrum)] - 440.0) < 5.0
    assert text == {"type": "text", "text": "describe"}


def test_image_url_transport_sends_one_part_per_frame(servers, red_blue_clip):
    server = servers()
    with http_engine([server.url], video_transport="image_url", num_frames=3) as engine:
        engine.generate([ChatRequest([{"role": "user", "content": [video_part(red_blue_clip), text_part("x")]}])])
    parts = server.bodies[0]["messages"][0]["content"]
    assert [p["type"] for p in parts] == ["image_url"] * 3 + ["text"]
    assert all(p["image_url"]["url"].startswith("data:image/jpeg;base64,") for p in parts[:3])
    assert "media_io_kwargs" not in server.bodies[0]


def test_a_bad_request_fails_alone(servers):
    async def reply(body, call):
        if "refuse" in str(body["messages"]):
            return web.json_response({"error": {"message": "bad prompt"}}, status=400)
        return await echo_last_text(body, call)

    server = servers(reply)
    missing = ChatRequest([{"role": "user", "content": [video_part("/no/such.mp4")]}])
    with http_engine([server.url], max_retries=3) as engine:
        ok, refused, broken = engine.generate([ask("fine"), ask("refuse"), missing])
    assert ok.text == "echo: fine"
    assert refused.error.startswith("HTTP 400") and "bad prompt" in refused.error and refused.attempts == 1
    assert "no such file" in broken.error and broken.attempts == 0


# -- robustness --------------------------------------------------------------------------------------------------
def test_retries_503_and_429_with_backoff(servers):
    async def flaky(body, call):
        if call == 1:
            return web.Response(status=503, text="warming up", headers={"Retry-After": "0"})
        if call == 2:
            return web.Response(status=429, text="slow down")
        return await echo_last_text(body, call)

    server = servers(flaky)
    with http_engine([server.url], max_retries=3) as engine:
        (result,) = engine.generate([ask("again")])
    assert (result.text, result.attempts, len(server.bodies)) == ("echo: again", 3, 3)

    async def broken(body, call):
        return web.Response(status=500, text="boom")

    always = servers(broken)
    with http_engine([always.url], max_retries=2) as engine:
        (result,) = engine.generate([ask("x")])
    assert result.error == "HTTP 500: boom" and result.attempts == 3 and len(always.bodies) == 3


def test_per_request_timeout(servers):
    async def stall(body, call):
        await asyncio.sleep(5)
        return await echo_last_text(body, call)

    server = servers(stall)
    with http_engine([server.url], timeout_s=0.3, max_retries=1) as engine:
        began = time.perf_counter()
        (result,) = engine.generate([ask("slow")])
    assert "no reply within 0.3 s" in result.error and result.attempts == 2
    assert time.perf_counter() - began < 2.0


def test_concurrency_is_bounded(servers):
    async def slow(body, call):
        await asyncio.sleep(0.05)
        return await echo_last_text(body, call)

    server = servers(slow)
    with http_engine([server.url], max_concurrency=3) as engine:
        results = engine.generate([ask(str(i)) for i in range(24)])
    assert [r.text for r in results] == [f"echo: {i}" for i in range(24)]
    assert server.max_in_flight == 3


def test_fan_out_over_servers_and_around_a_dead_one(servers):
    first, second = servers(), servers()
    with http_engine([first.url, second.url], routing="round_robin") as engine:
        engine.generate([ask(str(i)) for i in range(12)])
    assert len(first.bodies) == len(second.bodies) == 6

    async def slow(body, call):
        await asyncio.sleep(0.05)
        return await echo_last_text(body, call)

    busy, idle = servers(slow), servers(slow)
    with http_engine([busy.url, idle.url], max_concurrency=8) as engine:
        engine.generate([ask(str(i)) for i in range(16)])
    assert len(busy.bodies) + len(idle.bodies) == 16 and min(len(busy.bodies), len(idle.bodies)) >= 6

    live = servers()
    dead = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    with http_engine([dead, live.url], max_retries=2, max_concurrency=2) as engine:
        results = engine.generate([ask(str(i)) for i in range(6)])
        assert all(r.ok for r in results) and len(live.bodies) == 6
        assert any(r.attempts == 2 for r in results)  # some went to the dead node first, then moved on
        later = engine.generate([ask(str(i)) for i in range(6)])  # the dead node now sits out its cooldown
        assert [r.attempts for r in later] == [1] * 6


def test_agenerate_from_running_loop(servers):
    server = servers()
    with http_engine([server.url]) as engine:

        async def main():
            return await engine.agenerate([ask("async")])

        assert asyncio.run(main())[0].text == "echo: async"


# -- transformers serve ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def transformers_server(tmp_path_factory):
    """`transformers serve` on a free local port, offline; it loads whichever local model a request names."""
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    command = [sys.executable, "-m", "transformers.cli.transformers", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--device", "cpu"]
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"transformers serve did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.skipif(not is_serve_available(), reason="transformers serve needs pip install 'transformers[serving]'")
def test_against_transformers_serve(transformers_server, tmp_path, red_blue_clip):
    """Text and audio answers over HTTP equal the in-process engine's greedy answers on the same checkpoint:
    the request reached the model in the same form (for audio: the 16 kHz WAV gave the same features)."""
    text_model = str(build_tiny_qwen2(tmp_path / "qwen2"))
    audio_model = str(build_tiny_qwen2_audio(tmp_path / "qwen2_audio"))
    vl_model = str(build_tiny_qwen2_vl(tmp_path / "qwen2_vl"))
    text_request = ask("what plays between 00:00:07 and 00:00:14")
    audio_request = ChatRequest(
        [{"role": "user", "content": [audio_part(red_blue_clip, 0.5, 2.5), text_part("hear?")]}]
    )
    video_request = ChatRequest([{"role": "user", "content": [video_part(red_blue_clip, 2, 4, 4), text_part("see?")]}])
    settings = {"max_new_tokens": 6, "timeout_s": 120, "max_retries": 0}
    answers = {}
    for name, model, request, extra in [
        ("text", text_model, text_request, {}),
        ("audio", audio_model, audio_request, {}),
        ("video", vl_model, video_request, {"video_transport": "image_url"}),
    ]:
        with http_engine([transformers_server], model=model, **settings, **extra) as engine:
            (answers[name],) = engine.generate([request])
        assert answers[name].ok, answers[name].error
    for name, model, request in [("text", text_model, text_request), ("audio", audio_model, audio_request)]:
        local = build_engine({"kind": "transformers", "model": model, "device": "cpu", "max_new_tokens": 6})
        (expected,) = local.generate([request])
        assert answers[name].text.strip() == expected.text.strip(), name
