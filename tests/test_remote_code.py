"""A saved checkpoint is self-contained remote code: it loads and generates where `savenvideo` is not installed."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from savenvideo.train.tiny_checkpoint import build_tiny_checkpoint, build_tiny_model, random_batch

REMOTE_CODE_FILES = {
    "configuration_savenvideo.py",
    "configuration_beats.py",
    "modeling_savenvideo.py",
    "modeling_avts_resampler.py",
    "modeling_temporal_projection.py",
    "modeling_beats.py",
}

# Runs first in the clean interpreter: any attempt to import the project fails, as on a machine without it.
BLOCK_PROJECT = textwrap.dedent(
    """
    import sys
    class _NoSavenvideo:
        def find_spec(self, name, path=None, target=None):
            if name == "savenvideo" or name.startswith("savenvideo."):
                raise ImportError("savenvideo is not installed here")
    sys.meta_path.insert(0, _NoSavenvideo())
    try:
        import savenvideo
    except ImportError:
        pass
    else:
        raise SystemExit("savenvideo is importable: the test environment is not clean")
    """
)


def run_clean(code: str, tmp_path) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "HF_HOME": str(tmp_path / "hf_home"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONNOUSERSITE": "1",
    }
    script = BLOCK_PROJECT + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-I", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "ckpt", seed=3)


def test_checkpoint_folder_holds_weights_config_and_flat_remote_code(checkpoint):
    names = {path.name for path in checkpoint.iterdir()}
    assert {"config.json", "model.safetensors", "generation_config.json"} <= names
    assert names >= REMOTE_CODE_FILES
    config = json.loads((checkpoint / "config.json").read_text())
    assert config["model_type"] == "savenvideo"
    for auto_class in ("AutoModel", "AutoModelForCausalLM", "AutoModelForImageTextToText", "AutoModelForMultimodalLM"):
        assert config["auto_map"][auto_class] == "modeling_savenvideo.SAVEnVideoForConditionalGeneration"
    for name in REMOTE_CODE_FILES:
        text = (checkpoint / name).read_text()
        assert "savenvideo." not in text.replace("modeling_savenvideo.", "").replace("configuration_savenvideo.", "")


def test_clean_process_reloads_identical_logits_and_generates(checkpoint, tmp_path):
    batch = random_batch(build_tiny_model(seed=3).config, text_lengths=(5, 8), sound=(True, False))
    torch.save(batch, tmp_path / "batch.pt")
    local = build_tiny_model(seed=3)
    with torch.no_grad():
        expected = local(**batch).logits
    expected_tokens = local.generate(**batch, max_new_tokens=4, min_new_tokens=4, do_sample=False)
    torch.save({"logits": expected, "tokens": expected_tokens}, tmp_path / "expected.pt")

    result = run_clean(
        f"""
        import torch
        from transformers import AutoModel, AutoModelForCausalLM, AutoModelForImageTextToText
        model = AutoModel.from_pretrained({str(checkpoint)!r}, trust_remote_code=True).eval()
        assert type(model).__name__ == "SAVEnVideoForConditionalGeneration", type(model)
        assert type(model).__module__.startswith("transformers_modules"), type(model).__module__
        assert type(AutoModelForCausalLM.from_pretrained({str(checkpoint)!r}, trust_remote_code=True)) is type(model)
        assert type(AutoModelForImageTextToText.from_pretrained({str(checkpoint)!r}, trust_remote_code=True)) is type(model)
        batch = torch.load("batch.pt")
        expected = torch.load("expected.pt")
        with torch.no_grad():
            logits = model(**batch).logits
        torch.testing.assert_close(logits, expected["logits"], rtol=0, atol=0)
        tokens = model.generate(**batch, max_new_tokens=4, min_new_tokens=4, do_sample=False)
        assert torch.equal(tokens, expected["tokens"]), (tokens, expected["tokens"])
        print("clean reload ok")
        """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "clean reload ok" in result.stdout


ASK_A_VIDEO = """
import json
from transformers import AutoModel, AutoProcessor, pipeline
path, video = {checkpoint!r}, {video!r}
conversation = [{{"role": "user", "content": [
    {{"type": "video", "path": video}},
    {{"type": "text", "text": "What do you hear at 00:00:01?"}},
]}}]
"""


def test_clean_process_answers_a_video_question_with_the_processor(checkpoint, synthetic_clip, tmp_path):
    """What a Hub user runs: AutoProcessor + AutoModel as remote code, on a real video file."""
    video, _ = synthetic_clip(seconds=3.0, seed=1)
    result = run_clean(
        ASK_A_VIDEO.format(checkpoint=str(checkpoint), video=str(video))
        + textwrap.dedent(
            """
            processor = AutoProcessor.from_pretrained(path, trust_remote_code=True)
            model = AutoModel.from_pretrained(path, trust_remote_code=True).eval()
            inputs = processor.apply_chat_template(
                conversation, add_generation_prompt=True, tokenize=True, return_dict=True
            )
            assert inputs["query_times"].tolist() == [[1.0]] and inputs["audio_window_mask"].all()
            output = model.generate(**inputs, max_new_tokens=6, min_new_tokens=6, do_sample=False)
            print(json.dumps(processor.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)))
            """
        ),
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1])


def test_clean_process_any_to_any_pipeline_answers_like_generate(checkpoint, synthetic_clip, tmp_path):
    video, _ = synthetic_clip(seconds=3.0, seed=1)
    result = run_clean(
        ASK_A_VIDEO.format(checkpoint=str(checkpoint), video=str(video))
        + textwrap.dedent(
            """
            try:
                pipe = pipeline("any-to-any", model=path, trust_remote_code=True)
            except ImportError as err:  # transformers 5.20's any-to-any pipeline also wants librosa
                print(json.dumps({"skip": str(err).strip().splitlines()[0]}))
                raise SystemExit(0)
            piped = pipe(text=conversation, max_new_tokens=6, min_new_tokens=6, return_full_text=False)
            inputs = pipe.processor.apply_chat_template(
                conversation, add_generation_prompt=True, tokenize=True, return_dict=True
            )
            output = pipe.model.generate(**inputs, max_new_tokens=6, min_new_tokens=6, do_sample=False)
            direct = pipe.processor.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
            print(json.dumps({"direct": direct, "pipeline": piped[0]["generated_text"]}))
            """
        ),
        tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    if "skip" in answers:
        pytest.skip(answers["skip"])
    assert answers["direct"] and answers["direct"] == answers["pipeline"]


def test_cli_tiny_checkpoint_and_ask(synthetic_clip, tmp_path, capsys):
    from savenvideo.cli import main

    assert main(["tiny-checkpoint", str(tmp_path / "ckpt"), "--seed", "1"]) == 0
    assert (tmp_path / "ckpt" / "processor_config.json").is_file()
    video, _ = synthetic_clip(seconds=3.0, seed=1)
    capsys.readouterr()
    assert main(["ask", "--model", str(tmp_path / "ckpt"), str(video), "What happens?", "--max-new-tokens", "4"]) == 0
    assert capsys.readouterr().out.strip()
