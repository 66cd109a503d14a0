"""docs/model_inputs.md is the contract between processing/ and modeling_savenvideo/, which cannot import each other."""

import inspect
import re
from pathlib import Path

from savenvideo.modeling.modeling_savenvideo import MEDIA_INPUTS, SAVEnVideoForConditionalGeneration
from savenvideo.processing.processing_savenvideo import MODEL_INPUT_NAMES

DOC = Path(__file__).resolve().parents[1] / "docs" / "model_inputs.md"


def _documented_keys() -> list[str]:
    return re.findall(r"^\| `(\w+)` \|", DOC.read_text(), flags=re.MULTILINE)


def test_processor_outputs_exactly_the_documented_keys_in_order():
    assert list(MODEL_INPUT_NAMES) == _documented_keys()


def test_model_forward_accepts_every_documented_key():
    parameters = inspect.signature(SAVEnVideoForConditionalGeneration.forward).parameters
    missing = [key for key in _documented_keys() if key not in parameters]
    assert not missing, f"forward() lacks {missing}"


def test_media_inputs_are_the_documented_keys_besides_the_text():
    assert list(MEDIA_INPUTS) == [key for key in _documented_keys() if key not in ("input_ids", "attention_mask")]
