"""Convert a released BEATs `.pt` checkpoint into a Hugging Face folder that loads with the Auto classes."""

from pathlib import Path

from savenvideo.modeling.modeling_beats import BeatsForAudioClassification, BeatsModel
from savenvideo.processing.feature_extraction_beats import BeatsFeatureExtractor


def convert_beats_checkpoint(checkpoint_path: str | Path, output_dir: str | Path, classifier: bool = False) -> Path:
    """Write safetensors weights, `config.json`, `preprocessor_config.json` and the remote-code `.py` files.

    The folder then loads with `AutoModel` (or `AutoModelForAudioClassification` when `classifier=True`, which
    needs a fine-tuned checkpoint) and `AutoFeatureExtractor`, both with `trust_remote_code=True`.
    """
    model_class = BeatsForAudioClassification if classifier else BeatsModel
    model = model_class.from_original_checkpoint(checkpoint_path)
    output_dir = Path(output_dir)
    model.save_pretrained(output_dir)
    BeatsFeatureExtractor().save_pretrained(output_dir)
    return output_dir
