"""Make the BEATs golden test data in tests/data/beats/ by running the official microsoft/unilm code.

Usage: python scripts/make_beats_golden.py PATH_TO_UNILM [--out tests/data/beats]

PATH_TO_UNILM is a checkout of https://github.com/microsoft/unilm (or its `beats/` folder). The official
modules are imported from there at run time; nothing of them is copied. The script writes two tiny
official-format checkpoints with random weights (iter3+ flags, reduced sizes), a few int16 clips, and what
the official `BEATs.extract_features` returns for them. Needs torchaudio (the official preprocessing).
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

SAMPLE_RATE = 16000

# iter3+ flags (deep_norm, gated relative position bias, conv position embedding, 16x16 patches), tiny sizes.
TINY_CFG = {
    "encoder_layers": 2,
    "encoder_embed_dim": 64,
    "encoder_ffn_embed_dim": 128,
    "encoder_attention_heads": 4,
    "activation_fn": "gelu",
    "dropout": 0.0,
    "attention_dropout": 0.0,
    "activation_dropout": 0.0,
    "encoder_layerdrop": 0.05,
    "dropout_input": 0.0,
    "layer_norm_first": False,
    "conv_bias": False,
    "conv_pos": 16,
    "conv_pos_groups": 4,
    "relative_position_embedding": True,
    "num_buckets": 320,
    "max_distance": 800,
    "gru_rel_pos": True,
    "deep_norm": True,
    "input_patch_size": 16,
    "layer_wise_gradient_decay_ratio": 0.6,
    "embed_dim": 32,
    "finetuned_model": False,
}
FINETUNED_CFG = {**TINY_CFG, "finetuned_model": True, "predictor_dropout": 0.0, "predictor_class": 5}


def import_official(path: Path):
    beats_dir = path / "beats" if (path / "beats" / "BEATs.py").is_file() else path
    if not (beats_dir / "BEATs.py").is_file():
        raise SystemExit(f"{path}: no BEATs.py here or in beats/; pass a microsoft/unilm checkout.")
    sys.path.insert(0, str(beats_dir))
    import BEATs  # the official module, found on the path given

    return BEATs


def randomize(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Replace the official init (zeros, ones) by random values of a sensible scale, so that every weight matters."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator)
            if "relative_attention_bias" in name:
                param.copy_(noise)
            elif name.endswith("grep_a"):
                param.copy_(1.0 + 0.5 * noise)
            elif name.endswith("weight_g"):
                param.mul_(1.0 + 0.2 * noise)
            elif "layer_norm" in name and name.endswith("weight"):
                param.copy_(1.0 + 0.2 * noise)
            elif param.ndim == 1:
                param.copy_(0.1 * noise)
            else:
                param.copy_(noise / math.sqrt(param[0].numel()))


def make_checkpoint(official, cfg: dict, seed: int, path: Path):
    torch.manual_seed(seed)  # the official init, which weight_g keeps a trace of
    generator = torch.Generator().manual_seed(seed)
    model = official.BEATs(official.BEATsConfig(cfg))
    randomize(model, generator)
    torch.save({"cfg": cfg, "model": model.state_dict()}, path)
    # Reload the way the official README does, so the outputs come from the saved file.
    checkpoint = torch.load(path, weights_only=True)
    model = official.BEATs(official.BEATsConfig(checkpoint["cfg"]))
    model.load_state_dict(checkpoint["model"])
    return model.eval()


def make_clips() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    t6 = np.arange(6 * SAMPLE_RATE) / SAMPLE_RATE
    chirp = 0.4 * np.sin(2 * np.pi * (200 * t6 + 300 * t6**2)) + 0.05 * rng.standard_normal(t6.size)
    t3 = np.arange(52800) / SAMPLE_RATE
    tones = 0.3 * np.sin(2 * np.pi * 440 * t3) + 0.2 * np.sin(2 * np.pi * 3000 * t3)
    burst = 0.3 * rng.standard_normal(2 * SAMPLE_RATE) * np.hanning(2 * SAMPLE_RATE)
    return [np.round(np.clip(c, -1, 1) * 32767).astype(np.int16) for c in (chirp, tones, burst)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("unilm", type=Path, help="microsoft/unilm checkout (or its beats/ folder)")
    parser.add_argument("--out", type=Path, default=Path("tests/data/beats"))
    args = parser.parse_args()
    official = import_official(args.unilm)
    args.out.mkdir(parents=True, exist_ok=True)

    pretrained = make_checkpoint(official, TINY_CFG, seed=1, path=args.out / "beats_tiny.pt")
    finetuned = make_checkpoint(official, FINETUNED_CFG, seed=2, path=args.out / "beats_tiny_finetuned.pt")

    clips = make_clips()
    waves = [torch.from_numpy(c.astype(np.float32) / 32768.0) for c in clips]
    longest = max(w.numel() for w in waves)
    batch = torch.zeros(len(waves), longest)
    padding_mask = torch.ones(len(waves), longest, dtype=torch.bool)
    for row, wave in enumerate(waves):
        batch[row, : wave.numel()] = wave
        padding_mask[row, : wave.numel()] = False

    outputs = {}
    with torch.no_grad():
        for index, wave in enumerate(waves):
            outputs[f"single_{index}"] = pretrained.extract_features(wave[None])[0][0]
        features, reduced_mask = pretrained.extract_features(batch, padding_mask=padding_mask)
        outputs["batch_features"] = features
        outputs["batch_padding_mask"] = reduced_mask
        outputs["finetuned_probs_batch"] = finetuned.extract_features(batch, padding_mask=padding_mask)[0]
        outputs["finetuned_probs_single_0"] = finetuned.extract_features(waves[0][None])[0]
        relative = torch.arange(-1000, 1001)
        outputs["bucket_relative"] = relative
        outputs["bucket_index"] = pretrained.encoder.layers[0].self_attn._relative_positions_bucket(relative)

    save_file({f"clip_{i}": torch.from_numpy(c) for i, c in enumerate(clips)}, args.out / "inputs.safetensors")
    save_file({k: v.contiguous() for k, v in outputs.items()}, args.out / "outputs.safetensors")
    for path in sorted(args.out.iterdir()):
        print(f"{path}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
