"""Configuration of the BEATs audio encoder (Chen et al., 2023), as used by SAVEnVideo."""

from huggingface_hub.dataclasses import strict
from transformers import PretrainedConfig


@strict
class BeatsConfig(PretrainedConfig):
    r"""
    Configuration of a [`BeatsModel`]. The defaults are those of the released BEATs iter3+ checkpoints
    (`BEATs_iter3_plus_AS2M.pt`): a 12-layer post-LayerNorm DeepNorm transformer over 16x16 patches of a
    128-bin log-mel filterbank, with a convolutional position embedding and a gated relative position bias.

    Args:
        num_mel_bins (`int`, defaults to 128): Mel bins of the input filterbank.
        patch_size (`int`, defaults to 16): Side of the square (time x mel) patches.
        patch_embed_dim (`int`, defaults to 512): Width of the patch embedding before the projection.
        patch_embed_bias (`bool`, defaults to `False`): Whether the patch convolution has a bias.
        hidden_size (`int`, defaults to 768): Width of the transformer.
        num_hidden_layers (`int`, defaults to 12): Transformer layers.
        num_attention_heads (`int`, defaults to 12): Attention heads per layer.
        intermediate_size (`int`, defaults to 3072): Width of the feed-forward layers.
        hidden_act (`str`, defaults to `"gelu"`): Feed-forward activation.
        input_dropout (`float`, defaults to 0.0): Dropout on the projected patch embeddings.
        hidden_dropout (`float`, defaults to 0.0): Dropout on residual branches and after the position embedding.
        attention_dropout (`float`, defaults to 0.0): Dropout on attention probabilities.
        activation_dropout (`float`, defaults to 0.0): Dropout after the feed-forward activation.
        layerdrop (`float`, defaults to 0.0): Probability of skipping a whole layer in training.
        layer_norm_eps (`float`, defaults to 1e-5): Epsilon of every LayerNorm.
        num_conv_pos_embeddings (`int`, defaults to 128): Kernel size of the convolutional position embedding.
        num_conv_pos_embedding_groups (`int`, defaults to 16): Groups of that convolution.
        use_relative_position_bias (`bool`, defaults to `True`): Add a bucketed relative position bias.
        gated_relative_position_bias (`bool`, defaults to `True`): Scale that bias per query with a learned gate.
        num_buckets (`int`, defaults to 320): Relative position buckets (half per direction).
        max_distance (`int`, defaults to 800): Distance at which the logarithmic buckets saturate.
        deep_norm (`bool`, defaults to `True`): Scale residuals by `(2 * num_hidden_layers) ** 0.25` (DeepNorm).
        layer_wise_gradient_decay_ratio (`float`, defaults to 0.6): Gradient multiplier applied before each layer.
        classifier_dropout (`float`, defaults to 0.0): Dropout before the classification head of the fine-tuned
            variant ([`BeatsForAudioClassification`]); `num_labels` (527 for AudioSet) sizes that head.
        initializer_range (`float`, defaults to 0.02): Standard deviation of the normal weight initialisation.
    """

    model_type = "savenvideo_beats"

    num_mel_bins: int = 128
    patch_size: int = 16
    patch_embed_dim: int = 512
    patch_embed_bias: bool = False
    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    hidden_act: str = "gelu"
    input_dropout: float | int = 0.0
    hidden_dropout: float | int = 0.0
    attention_dropout: float | int = 0.0
    activation_dropout: float | int = 0.0
    layerdrop: float | int = 0.0
    layer_norm_eps: float = 1e-5
    num_conv_pos_embeddings: int = 128
    num_conv_pos_embedding_groups: int = 16
    use_relative_position_bias: bool = True
    gated_relative_position_bias: bool = True
    num_buckets: int = 320
    max_distance: int = 800
    deep_norm: bool = True
    layer_wise_gradient_decay_ratio: float | int = 0.6
    classifier_dropout: float | int = 0.0
    initializer_range: float = 0.02

    def validate_architecture(self):
        """Part of `@strict` validation: shapes that the model cannot build."""
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be a multiple of num_attention_heads ({self.num_attention_heads})."
            )
        if self.num_mel_bins % self.patch_size:
            raise ValueError(
                f"num_mel_bins ({self.num_mel_bins}) must be a multiple of patch_size ({self.patch_size})."
            )
        if self.hidden_size % self.num_conv_pos_embedding_groups:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be a multiple of num_conv_pos_embedding_groups "
                f"({self.num_conv_pos_embedding_groups})."
            )


BeatsConfig.register_for_auto_class()

__all__ = ["BeatsConfig"]
