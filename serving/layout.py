"""The token layout of one video in the LLM input: what a single ``<|video_pad|>`` of the prompt becomes.

SAVEnVideoProcessor expands the placeholder when it tokenizes; vLLM expands it with a prompt replacement. Both
must give exactly the tokens whose positions the model overwrites with the fused media vectors, so the layout is
computed once, here, from the model config (the processor's counts must equal the config's, see
docs/model_inputs.md), and tests/test_vllm_plugin.py checks it against the processor's own output.
"""

from __future__ import annotations

from dataclasses import dataclass

from savenvideo.processing.tiny_tokenizer import VIDEO_TOKEN, VISION_END, VISION_START

# What the chat template writes for a video item; each video item of a prompt holds one.
MEDIA_PLACEHOLDER = VISION_START + VIDEO_TOKEN + VISION_END


@dataclass(frozen=True)
class MediaLayout:
    """Placeholder ids of one video: ``num_video_tokens`` x video token, then ``num_audio_tokens`` x audio token."""

    video_token_id: int
    audio_token_id: int
    num_video_tokens: int
    num_audio_tokens: int

    @classmethod
    def from_config(cls, config) -> MediaLayout:
        """From a ``SAVEnVideoConfig`` (ours or the checkpoint's remote-code class: only attributes are read)."""
        return cls(
            video_token_id=config.video_token_id,
            audio_token_id=config.audio_token_id,
            num_video_tokens=config.num_video_tokens,
            num_audio_tokens=config.num_audio_tokens,
        )

    @property
    def num_tokens(self) -> int:
        """LLM positions one video occupies (all of them receive media vectors)."""
        return self.num_video_tokens + self.num_audio_tokens

    def placeholder_ids(self) -> list[int]:
        """The ids that replace the prompt's single video token."""
        return [self.video_token_id] * self.num_video_tokens + [self.audio_token_id] * self.num_audio_tokens
