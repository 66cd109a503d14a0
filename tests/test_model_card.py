"""The model card: its metadata is what the Hub reads, and the code it shows runs against a real checkpoint."""

import contextlib
import io
import re

import pytest
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from savenvideo.train.model_card import CardExample, hub_file_url, write_model_card
from savenvideo.train.tiny_checkpoint import build_tiny_checkpoint

REPO_ID = "savenvid/SAVEnVideo-7B"
SPACE_URL = "https://huggingface.co/spaces/savenvid/SAVEnVideo"
QUESTION = 'What sound plays at 00:00:02, and is the word "CAT" on screen?'


@pytest.fixture(scope="module")
def carded(tmp_path_factory, synthetic_clip):
    """A tiny checkpoint with its card, one local example video (copied in) and one remote one."""
    checkpoint = build_tiny_checkpoint(tmp_path_factory.mktemp("card") / "ckpt", seed=1)
    clip, _ = synthetic_clip(seconds=4.0, seed=3)
    examples = [
        CardExample(video=clip, question=QUESTION, answer="A rising chirp | the word CAT", title="Chirp and word"),
        CardExample(video="https://example.org/silent.webm", question="What colour is the screen?", answer="Red."),
    ]
    results = [
        EvalResult(
            task_type="any-to-any",
            dataset_type="savenvid/AVBench",
            dataset_name="AVBench",
            dataset_split="test",
            metric_type="accuracy",
            metric_value=0.25,
        )
    ]
    path = write_model_card(
        checkpoint,
        repo_id=REPO_ID,
        base_model=["Qwen/Qwen2-7B-Instruct", "google/siglip-so400m-patch14-384"],
        space_url=SPACE_URL,
        examples=examples,
        results=results,
    )
    return checkpoint, clip, path


def test_card_metadata_is_what_the_hub_reads(carded):
    checkpoint, clip, path = carded
    assert path == checkpoint / "README.md"
    card = ModelCard.load(path)
    data = card.data
    assert data.pipeline_tag == "any-to-any" and data.library_name == "transformers"
    assert {"custom_code", "video-llm", "audio-visual"} <= set(data.tags)
    assert data.base_model == ["Qwen/Qwen2-7B-Instruct", "google/siglip-so400m-patch14-384"]
    assert data.eval_results[0].metric_value == 0.25 and data.eval_results[0].dataset_name == "AVBench"
    assert ModelCardData(**data.to_dict()).to_dict() == data.to_dict()  # round-trips through the Hub's schema

    local, remote = data.widget
    assert local == {
        "src": hub_file_url(REPO_ID, f"examples/{clip.name}"),
        "prompt": QUESTION,
        "example_title": "Chirp and word",
        "output": {"text": "A rising chirp | the word CAT"},
    }
    assert remote["src"] == "https://example.org/silent.webm" and remote["example_title"] == remote["prompt"]
    assert (checkpoint / "examples" / clip.name).read_bytes() == clip.read_bytes()


def test_card_text_links_the_space_and_states_the_checkpoints_numbers(carded):
    _, _, path = carded
    text = ModelCard.load(path).text
    assert f"]({SPACE_URL})" in text
    assert "**4 frames**" in text and "**One 2 s audio window per frame**" in text and "**8 tokens**" in text
    assert "A rising chirp \\| the word CAT" in text  # a table cell, not a broken table
    assert "| AVBench | test | accuracy | 0.25 |" in text
    assert "@misc{li2024savenvid," in text and "title  = {{SAVEn-Vid}:" in text


def test_card_code_runs_against_the_checkpoint(carded, monkeypatch):
    """Every python block of the card, with the repo id and the example's URL pointing at local files."""
    checkpoint, clip, path = carded
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    text = ModelCard.load(path).text
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 2 and "AutoModel.from_pretrained" in blocks[0] and 'pipeline("any-to-any"' in blocks[1]
    for block in blocks:
        code = block.replace(hub_file_url(REPO_ID, f"examples/{clip.name}"), str(clip)).replace(
            REPO_ID, str(checkpoint)
        )
        assert REPO_ID not in code and "https://" not in code
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, "<model card>", "exec"), {"__name__": "__main__"})
        assert printed.getvalue().strip(), f"the card's code printed no answer:\n{code}"
