"""PyTorch BEATs audio encoder (Chen et al., 2023, "BEATs: Audio Pre-Training with Acoustic Tokenizers").

BEATs is not part of transformers; this is an independent implementation that loads the released `.pt`
checkpoints (see `BeatsPreTrainedModel.from_original_checkpoint`) and reproduces their outputs.
"""

import math
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.activations import ACT2FN
from transformers.modeling_layers import GradientCheckpointingLayer
from transformers.modeling_outputs import ModelOutput, SequenceClassifierOutput
from transformers.utils import logging

from .configuration_beats import BeatsConfig

logger = logging.get_logger(__name__)


class BeatsCheckpointError(ValueError):
    """An original BEATs checkpoint that cannot be read or does not fit the model."""


@dataclass
class BeatsModelOutput(ModelOutput):
    r"""
    last_hidden_state (`torch.FloatTensor` of shape `(batch_size, num_patches, hidden_size)`):
        Hidden states of the last layer, one per (time, mel) patch in time-major order
        (`num_mel_bins // patch_size` consecutive patches per time step).
    attention_mask (`torch.LongTensor` of shape `(batch_size, num_patches)`):
        1 for patches of real audio, 0 for padding patches; all ones when no mask was given.
    hidden_states (`tuple(torch.FloatTensor)`, *optional*, returned when `output_hidden_states=True`):
        The input of the first layer followed by the output of every layer.
    """

    last_hidden_state: torch.FloatTensor | None = None
    attention_mask: torch.LongTensor | None = None
    hidden_states: tuple[torch.FloatTensor, ...] | None = None


class _ScaleGradient(torch.autograd.Function):
    """Identity in the forward pass, scales the gradient in the backward pass (layer-wise gradient decay)."""

    @staticmethod
    def forward(ctx, hidden_states, scale):
        ctx.scale = scale
        return hidden_states.view_as(hidden_states)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.scale, None


def reduce_padding_mask(padding_mask: torch.Tensor, length: int) -> torch.Tensor:
    """Shrink a `[batch, n]` boolean padding mask (True = padding) to `[batch, length]`.

    The trailing `n % length` columns are dropped and each output position covers `n // length` consecutive
    inputs; it is padding only if all of them are. This is the rule of the original BEATs code, kept so that
    released checkpoints see the masks they were evaluated with.
    """
    extra = padding_mask.shape[1] % length
    if extra:
        padding_mask = padding_mask[:, :-extra]
    return padding_mask.reshape(padding_mask.shape[0], length, -1).all(-1)


def relative_position_buckets(length: int, num_buckets: int, max_distance: int, device=None) -> torch.Tensor:
    """Bucket index `[length, length]` of the offset key - query: exact below a quarter of `num_buckets`,
    logarithmic up to `max_distance`, one half of the buckets per direction."""
    positions = torch.arange(length, dtype=torch.long, device=device)
    relative = positions[None, :] - positions[:, None]
    half = num_buckets // 2
    exact = half // 2
    distance = relative.abs()
    # The same float32 operations, in the same order, as the original, so that the truncation agrees.
    log_bucket = exact + (
        torch.log(distance.clamp(min=1).float() / exact) / math.log(max_distance / exact) * (half - exact)
    ).to(torch.long)
    log_bucket = log_bucket.clamp(max=half - 1)
    return torch.where(distance < exact, distance, log_bucket) + (relative > 0).long() * half


class BeatsPositionalConvEmbedding(nn.Module):
    """Grouped convolution over time added to the patch embeddings; the original's weight norm is folded in."""

    def __init__(self, config: BeatsConfig):
        super().__init__()
        kernel_size = config.num_conv_pos_embeddings
        self.conv = nn.Conv1d(
            config.hidden_size,
            config.hidden_size,
            kernel_size=kernel_size,
            padding=kernel_size // 2,
            groups=config.num_conv_pos_embedding_groups,
        )
        # An even kernel with symmetric padding yields one extra step.
        self.num_pad_remove = 1 if kernel_size % 2 == 0 else 0
        self.activation = nn.GELU()

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        hidden_states = self.conv(hidden_states.transpose(1, 2))
        if self.num_pad_remove:
            hidden_states = hidden_states[:, :, : -self.num_pad_remove]
        return self.activation(hidden_states).transpose(1, 2)


class BeatsAttention(nn.Module):
    """Multi-head self-attention with an additive relative position bias, optionally gated per query."""

    def __init__(self, config: BeatsConfig):
        super().__init__()
        self.config = config
        self.num_heads = config.num_attention_heads
        self.head_dim = config.hidden_size // config.num_attention_heads
        self.scaling = self.head_dim**-0.5
        self.dropout = config.attention_dropout
        self.q_proj = nn.Linear(config.hidden_size, config.hidden_size)
        self.k_proj = nn.Linear(config.hidden_size, config.hidden_size)
        self.v_proj = nn.Linear(config.hidden_size, config.hidden_size)
        self.out_proj = nn.Linear(config.hidden_size, config.hidden_size)
        if config.gated_relative_position_bias:
            # Two gates per head and query, each the sum of 4 projections of the unscaled query.
            self.gate_proj = nn.Linear(self.head_dim, 8)
            self.gate_scale = nn.Parameter(torch.ones(1, self.num_heads, 1, 1))

    def forward(
        self,
        hidden_states: torch.Tensor,
        position_bias: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        batch_size, length, _ = hidden_states.shape
        shape = (batch_size, length, self.num_heads, self.head_dim)
        query = self.q_proj(hidden_states).view(shape).transpose(1, 2)
        key = self.k_proj(hidden_states).view(shape).transpose(1, 2)
        value = self.v_proj(hidden_states).view(shape).transpose(1, 2)

        bias = attention_mask
        if position_bias is not None:
            if self.config.gated_relative_position_bias:
                gates = self.gate_proj(query).view(batch_size, self.num_heads, length, 2, 4).sum(-1)
                gate_a, gate_b = torch.sigmoid(gates).chunk(2, dim=-1)
                position_bias = (gate_a * (gate_b * self.gate_scale - 1.0) + 2.0) * position_bias
            bias = position_bias if bias is None else position_bias + bias
        if bias is not None:
            bias = bias.to(query.dtype)

        dropout = self.dropout if self.training else 0.0
        if self.config._attn_implementation == "sdpa":
            output = F.scaled_dot_product_attention(
                query, key, value, attn_mask=bias, dropout_p=dropout, scale=self.scaling
            )
        else:
            weights = torch.matmul(query, key.transpose(2, 3)) * self.scaling
            if bias is not None:
                weights = weights + bias
            weights = F.softmax(weights, dim=-1, dtype=torch.float32).to(query.dtype)
            weights = F.dropout(weights, p=dropout, training=self.training)
            output = torch.matmul(weights, value)
        output = output.transpose(1, 2).reshape(batch_size, length, -1)
        return self.out_proj(output)


class BeatsEncoderLayer(GradientCheckpointingLayer):
    """Post-LayerNorm transformer layer; DeepNorm scales the residual branch before each norm."""

    def __init__(self, config: BeatsConfig):
        super().__init__()
        self.self_attn = BeatsAttention(config)
        self.self_attn_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.fc1 = nn.Linear(config.hidden_size, config.intermediate_size)
        self.fc2 = nn.Linear(config.intermediate_size, config.hidden_size)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.activation_fn = ACT2FN[config.hidden_act]
        self.hidden_dropout = config.hidden_dropout
        self.activation_dropout = config.activation_dropout
        self.residual_scale = (2 * config.num_hidden_layers) ** 0.25 if config.deep_norm else 1.0

    def forward(
        self,
        hidden_states: torch.Tensor,
        position_bias: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        residual = hidden_states
        hidden_states = self.self_attn(hidden_states, position_bias, attention_mask)
        hidden_states = F.dropout(hidden_states, p=self.hidden_dropout, training=self.training)
        hidden_states = self.self_attn_layer_norm(residual * self.residual_scale + hidden_states)

        residual = hidden_states
        hidden_states = self.activation_fn(self.fc1(hidden_states))
        hidden_states = F.dropout(hidden_states, p=self.activation_dropout, training=self.training)
        hidden_states = self.fc2(hidden_states)
        hidden_states = F.dropout(hidden_states, p=self.hidden_dropout, training=self.training)
        return self.final_layer_norm(residual * self.residual_scale + hidden_states)


class BeatsEncoder(nn.Module):
    def __init__(self, config: BeatsConfig):
        super().__init__()
        self.config = config
        self.pos_conv_embed = BeatsPositionalConvEmbedding(config)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        # One table for all layers: the original shares layer 0's table and computes the bias once.
        if config.use_relative_position_bias:
            self.relative_attention_bias = nn.Embedding(config.num_buckets, config.num_attention_heads)
        self.layers = nn.ModuleList([BeatsEncoderLayer(config) for _ in range(config.num_hidden_layers)])

    def forward(
        self,
        hidden_states: torch.Tensor,
        padding_mask: torch.Tensor | None = None,
        output_hidden_states: bool = False,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...] | None]:
        attention_mask = None
        if padding_mask is not None:
            hidden_states = hidden_states.masked_fill(padding_mask[..., None], 0.0)
            attention_mask = torch.zeros(padding_mask.shape, dtype=hidden_states.dtype, device=hidden_states.device)
            attention_mask = attention_mask.masked_fill(padding_mask, torch.finfo(hidden_states.dtype).min)
            attention_mask = attention_mask[:, None, None, :]

        hidden_states = hidden_states + self.pos_conv_embed(hidden_states)
        hidden_states = self.layer_norm(hidden_states)
        hidden_states = F.dropout(hidden_states, p=self.config.hidden_dropout, training=self.training)

        position_bias = None
        if self.config.use_relative_position_bias:
            buckets = relative_position_buckets(
                hidden_states.shape[1], self.config.num_buckets, self.config.max_distance, hidden_states.device
            )
            position_bias = self.relative_attention_bias(buckets).permute(2, 0, 1).unsqueeze(0)

        all_hidden_states = (hidden_states,) if output_hidden_states else None
        decay = self.config.layer_wise_gradient_decay_ratio
        for layer in self.layers:
            if decay != 1.0 and torch.is_grad_enabled():
                hidden_states = _ScaleGradient.apply(hidden_states, decay)
            skip = self.training and self.config.layerdrop > 0 and torch.rand([]) < self.config.layerdrop
            if not skip:
                hidden_states = layer(hidden_states, position_bias, attention_mask)
            if output_hidden_states:
                all_hidden_states += (hidden_states,)
        return hidden_states, all_hidden_states


# Original checkpoint key (regex) -> our key. Weight-norm, shared-bias and predictor keys are handled apart.
_ORIGINAL_KEY_RENAMES = (
    (r"^post_extract_proj\.", "patch_projection."),
    (r"^layer_norm\.", "patch_layer_norm."),
    (r"^encoder\.pos_conv\.0\.bias$", "encoder.pos_conv_embed.conv.bias"),
    (r"\.self_attn\.grep_linear\.", ".self_attn.gate_proj."),
    (r"\.self_attn\.grep_a$", ".self_attn.gate_scale"),
)
_SHARED_BIAS_KEY = re.compile(r"^encoder\.layers\.(\d+)\.self_attn\.relative_attention_bias\.weight$")

# Values the original BEATsConfig uses for fields that a checkpoint's `cfg` leaves out.
_ORIGINAL_CFG_DEFAULTS = {
    "input_patch_size": -1,
    "embed_dim": 512,
    "conv_bias": False,
    "encoder_layers": 12,
    "encoder_embed_dim": 768,
    "encoder_ffn_embed_dim": 3072,
    "encoder_attention_heads": 12,
    "activation_fn": "gelu",
    "layer_wise_gradient_decay_ratio": 1.0,
    "layer_norm_first": False,
    "deep_norm": False,
    "dropout": 0.1,
    "attention_dropout": 0.1,
    "activation_dropout": 0.0,
    "encoder_layerdrop": 0.0,
    "dropout_input": 0.0,
    "conv_pos": 128,
    "conv_pos_groups": 16,
    "relative_position_embedding": False,
    "num_buckets": 320,
    "max_distance": 1280,
    "gru_rel_pos": False,
    "finetuned_model": False,
    "predictor_dropout": 0.1,
    "predictor_class": 527,
}


def config_from_original(cfg: dict, source: str = "cfg") -> BeatsConfig:
    """Build a `BeatsConfig` from the `cfg` dict of an original checkpoint, refusing variants we do not implement."""
    cfg = {**_ORIGINAL_CFG_DEFAULTS, **cfg}
    if cfg["layer_norm_first"]:
        raise BeatsCheckpointError(f"{source}: layer_norm_first=True (pre-LayerNorm BEATs) is not supported.")
    if cfg["activation_fn"] not in ("gelu", "relu"):
        raise BeatsCheckpointError(f"{source}: activation_fn={cfg['activation_fn']!r} is not supported.")
    if cfg["input_patch_size"] <= 0:
        raise BeatsCheckpointError(f"{source}: input_patch_size={cfg['input_patch_size']} is not a patch size.")
    head = {}
    if cfg["finetuned_model"]:
        head = {"num_labels": cfg["predictor_class"], "classifier_dropout": cfg["predictor_dropout"]}
    return BeatsConfig(
        patch_size=cfg["input_patch_size"],
        patch_embed_dim=cfg["embed_dim"],
        patch_embed_bias=cfg["conv_bias"],
        hidden_size=cfg["encoder_embed_dim"],
        num_hidden_layers=cfg["encoder_layers"],
        num_attention_heads=cfg["encoder_attention_heads"],
        intermediate_size=cfg["encoder_ffn_embed_dim"],
        hidden_act=cfg["activation_fn"],
        input_dropout=cfg["dropout_input"],
        hidden_dropout=cfg["dropout"],
        attention_dropout=cfg["attention_dropout"],
        activation_dropout=cfg["activation_dropout"],
        layerdrop=cfg["encoder_layerdrop"],
        num_conv_pos_embeddings=cfg["conv_pos"],
        num_conv_pos_embedding_groups=cfg["conv_pos_groups"],
        use_relative_position_bias=cfg["relative_position_embedding"],
        gated_relative_position_bias=cfg["gru_rel_pos"],
        num_buckets=cfg["num_buckets"],
        max_distance=cfg["max_distance"],
        deep_norm=cfg["deep_norm"],
        layer_wise_gradient_decay_ratio=cfg["layer_wise_gradient_decay_ratio"],
        **head,
    )


def convert_original_state_dict(state_dict: dict, source: str = "state_dict") -> tuple[dict, dict]:
    """Rename an original state dict to ours: fold the weight norm of the position convolution, keep one
    relative-bias table, and split off the fine-tuned `predictor.*` head. Returns `(encoder, head)`."""
    encoder, head, bias_tables = {}, {}, {}
    weight_g = weight_v = None
    for key, tensor in state_dict.items():
        if key.startswith("predictor."):
            head[key.removeprefix("predictor.")] = tensor
        elif key == "encoder.pos_conv.0.weight_g":
            weight_g = tensor
        elif key == "encoder.pos_conv.0.weight_v":
            weight_v = tensor
        elif match := _SHARED_BIAS_KEY.match(key):
            bias_tables[int(match.group(1))] = tensor
        else:
            for pattern, replacement in _ORIGINAL_KEY_RENAMES:
                key = re.sub(pattern, replacement, key)
            encoder[key] = tensor
    if (weight_g is None) != (weight_v is None):
        raise BeatsCheckpointError(f"{source}: encoder.pos_conv.0 has only one of weight_g / weight_v.")
    if weight_g is not None:
        # Weight norm over dim 2: one norm per kernel tap, taken over output and input channels.
        norm = weight_v.norm(dim=(0, 1), keepdim=True)
        encoder["encoder.pos_conv_embed.conv.weight"] = weight_v * (weight_g / norm)
    if bias_tables:
        # Loading into the original shared module lets the last layer's copy win; they are equal in practice.
        last = bias_tables[max(bias_tables)]
        if any(not torch.equal(table, last) for table in bias_tables.values()):
            logger.warning(f"{source}: the per-layer relative attention bias tables differ; using the last layer's.")
        encoder["encoder.relative_attention_bias.weight"] = last
    return encoder, head


def read_original_checkpoint(checkpoint_path: str | Path) -> tuple[BeatsConfig, dict, dict]:
    """Read an original BEATs `.pt` file (a dict with `cfg` and `model`) without unpickling arbitrary code."""
    path = Path(checkpoint_path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such BEATs checkpoint file.")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise BeatsCheckpointError(f"{path}: not a readable PyTorch checkpoint ({err}).") from err
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("cfg"), dict):
        raise BeatsCheckpointError(
            f"{path}: not an original BEATs checkpoint (expected a dict with 'cfg' and 'model')."
        )
    state_dict = checkpoint.get("model")
    if not isinstance(state_dict, dict) or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise BeatsCheckpointError(f"{path}: 'model' is not a state dict of tensors.")
    config = config_from_original(checkpoint["cfg"], source=str(path))
    encoder, head = convert_original_state_dict(state_dict, source=str(path))
    return config, encoder, head


class BeatsPreTrainedModel(PreTrainedModel):
    config_class = BeatsConfig
    base_model_prefix = "beats"
    main_input_name = "input_features"
    input_modalities = ("audio",)
    supports_gradient_checkpointing = True
    _no_split_modules = ["BeatsEncoderLayer"]
    _supports_sdpa = True

    def _init_weights(self, module):
        super()._init_weights(module)
        if isinstance(module, BeatsPositionalConvEmbedding):
            conv = module.conv
            init.normal_(conv.weight, mean=0.0, std=math.sqrt(4.0 / (conv.kernel_size[0] * conv.in_channels)))
            init.zeros_(conv.bias)
        elif isinstance(module, BeatsAttention) and module.config.gated_relative_position_bias:
            init.ones_(module.gate_scale)

    @classmethod
    def from_original_checkpoint(cls, checkpoint_path: str | Path):
        """Load a released BEATs `.pt` checkpoint (pre-trained or fine-tuned); returns the model in eval mode."""
        config, encoder_state, head_state = read_original_checkpoint(checkpoint_path)
        model = cls(config)
        try:
            model.base_model.load_state_dict(encoder_state)
        except RuntimeError as err:
            raise BeatsCheckpointError(f"{checkpoint_path}: weights do not fit the model ({err}).") from err
        model._load_original_head(head_state, checkpoint_path)
        return model.eval()

    def _load_original_head(self, head_state: dict, checkpoint_path) -> None:
        raise NotImplementedError


class BeatsModel(BeatsPreTrainedModel):
    """BEATs encoder: normalised log-mel filterbank `[batch, frames, num_mel_bins]` -> one vector per patch."""

    def __init__(self, config: BeatsConfig):
        super().__init__(config)
        patch_size = config.patch_size
        self.patch_embedding = nn.Conv2d(
            1, config.patch_embed_dim, kernel_size=patch_size, stride=patch_size, bias=config.patch_embed_bias
        )
        self.patch_layer_norm = nn.LayerNorm(config.patch_embed_dim, eps=config.layer_norm_eps)
        self.patch_projection = (
            nn.Linear(config.patch_embed_dim, config.hidden_size)
            if config.patch_embed_dim != config.hidden_size
            else nn.Identity()
        )
        self.input_dropout = nn.Dropout(config.input_dropout)
        self.encoder = BeatsEncoder(config)
        self.post_init()

    def _load_original_head(self, head_state: dict, checkpoint_path) -> None:
        if head_state:
            logger.info(f"{checkpoint_path}: ignoring the fine-tuned classification head (predictor.*).")

    def forward(
        self,
        input_features: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> BeatsModelOutput | tuple:
        r"""
        input_features (`torch.FloatTensor` of shape `(batch_size, num_frames, num_mel_bins)`):
            Normalised log-mel filterbank, as returned by `BeatsFeatureExtractor`.
        attention_mask (`torch.LongTensor` of shape `(batch_size, num_frames)`, *optional*):
            1 for frames of real audio, 0 for padding frames.
        """
        output_hidden_states = (
            output_hidden_states if output_hidden_states is not None else self.config.output_hidden_states
        )
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        if input_features.ndim != 3 or input_features.shape[-1] != self.config.num_mel_bins:
            raise ValueError(
                f"input_features must be [batch, frames, {self.config.num_mel_bins}], got {tuple(input_features.shape)}."
            )
        if input_features.shape[1] < self.config.patch_size:
            raise ValueError(
                f"input_features has {input_features.shape[1]} frames; BEATs needs at least {self.config.patch_size}."
            )

        features = input_features.to(self.patch_embedding.weight.dtype).unsqueeze(1)
        # [batch, dim, time patches, mel patches] -> [batch, time patches * mel patches, dim], time-major.
        patches = self.patch_embedding(features).flatten(2).transpose(1, 2)
        patches = self.patch_layer_norm(patches)
        padding_mask = None
        if attention_mask is not None:
            padding_mask = reduce_padding_mask(attention_mask == 0, patches.shape[1])
        hidden_states = self.input_dropout(self.patch_projection(patches))

        hidden_states, all_hidden_states = self.encoder(hidden_states, padding_mask, output_hidden_states)
        if padding_mask is None:
            patch_mask = torch.ones(hidden_states.shape[:2], dtype=torch.long, device=hidden_states.device)
        else:
            patch_mask = (~padding_mask).long()

        if not return_dict:
            return tuple(v for v in (hidden_states, patch_mask, all_hidden_states) if v is not None)
        return BeatsModelOutput(
            last_hidden_state=hidden_states, attention_mask=patch_mask, hidden_states=all_hidden_states
        )


class BeatsForAudioClassification(BeatsPreTrainedModel):
    """BEATs with the fine-tuned variant's head: a linear layer per patch, averaged over real patches.

    The logits are multi-label (AudioSet); the original returns their sigmoid.
    """

    def __init__(self, config: BeatsConfig):
        super().__init__(config)
        self.beats = BeatsModel(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def _load_original_head(self, head_state: dict, checkpoint_path) -> None:
        if not head_state:
            raise BeatsCheckpointError(
                f"{checkpoint_path}: no predictor.* weights; not a fine-tuned BEATs checkpoint."
            )
        try:
            self.classifier.load_state_dict(head_state)
        except RuntimeError as err:
            raise BeatsCheckpointError(f"{checkpoint_path}: predictor weights do not fit ({err}).") from err

    def forward(
        self,
        input_features: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        output_hidden_states: bool | None = None,
        return_dict: bool | None = None,
    ) -> SequenceClassifierOutput | tuple:
        r"""
        labels (`torch.Tensor` of shape `(batch_size, num_labels)`, *optional*):
            Multi-hot targets; the loss is the binary cross-entropy with logits.
        """
        return_dict = return_dict if return_dict is not None else self.config.return_dict
        outputs = self.beats(
            input_features, attention_mask, output_hidden_states=output_hidden_states, return_dict=True
        )
        logits = self.classifier(self.dropout(outputs.last_hidden_state))
        weights = outputs.attention_mask.unsqueeze(-1).to(logits.dtype)
        logits = (logits * weights).sum(1) / weights.sum(1).clamp(min=1.0)

        loss = None
        if labels is not None:
            loss = F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
        if not return_dict:
            output = (logits, outputs.hidden_states) if outputs.hidden_states is not None else (logits,)
            return (loss, *output) if loss is not None else output
        return SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states)


BeatsModel.register_for_auto_class("AutoModel")
BeatsForAudioClassification.register_for_auto_class("AutoModelForAudioClassification")

__all__ = [
    "BeatsCheckpointError",
    "BeatsForAudioClassification",
    "BeatsModel",
    "BeatsModelOutput",
    "BeatsPreTrainedModel",
]
