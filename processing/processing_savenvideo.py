"""SAVEnVideoProcessor: text + one video / image / audio per sample -> the inputs of SAVEnVideoForConditionalGeneration.

It combines the Qwen2 tokenizer, a SigLIP image processor and the BEATs feature extractor, and produces exactly the
keys of docs/model_inputs.md. Media are decoded by seeking (``video_decoding`` / ``audio_decoding``): 16 frames with
their presentation times and one 2 s audio window per frame, whatever the length of the video. Every decode runs
under a time limit and every failure is a :class:`VideoDecodeError`.

This module is transformers remote code: it imports its siblings relatively and nothing from ``savenvideo``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from transformers import BatchFeature
from transformers.processing_utils import ProcessorMixin

from .audio_decoding import (
    AudioWindows,
    decode_audio_windows,
    silent_windows,
    window_length,
    windows_from_waveform,
)
from .feature_extraction_beats import BeatsFeatureExtractor
from .media_errors import Deadline, MediaTimeoutError, VideoDecodeError, describe_source, run_with_timeout
from .query_times import parse_query_times
from .video_decoding import MediaSource, as_media_source, sample_video

logger = logging.getLogger(__name__)

VISION_START = "<|vision_start|>"
VISION_END = "<|vision_end|>"
VIDEO_TOKEN = "<|video_pad|>"
AUDIO_TOKEN = "<|audio_pad|>"
MEDIA_PLACEHOLDER = VISION_START + VIDEO_TOKEN + VISION_END

# Qwen2 ChatML; a video, image or audio content item renders as <|vision_start|><|video_pad|><|vision_end|>.
SAVENVIDEO_CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if loop.first and message['role'] != 'system' -%}"
    "{{- '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' -}}"
    "{%- endif -%}"
    "{{- '<|im_start|>' + message['role'] + '\n' -}}"
    "{%- if message['content'] is string -%}"
    "{{- message['content'] -}}"
    "{%- else -%}"
    "{%- for item in message['content'] -%}"
    "{%- if item['type'] in ['video', 'image', 'audio'] -%}"
    "{{- '<|vision_start|><|video_pad|><|vision_end|>' -}}"
    "{%- elif item['type'] == 'text' -%}"
    "{{- item['text'] -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- endif -%}"
    "{{- '<|im_end|>\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|im_start|>assistant\n' -}}"
    "{%- endif -%}"
)

MODEL_INPUT_NAMES = [
    "input_ids",
    "attention_mask",
    "pixel_values_videos",
    "video_frame_mask",
    "video_frame_times",
    "audio_features",
    "audio_feature_mask",
    "audio_window_mask",
    "audio_window_times",
    "query_times",
    "query_time_mask",
]

_USER_TURN = re.compile(r"<\|im_start\|>user\n(.*?)(?:<\|im_end\|>|$)", re.DOTALL)
_SPECIAL = re.compile(r"<\|[a-z_]+\|>")


@dataclass
class LoadedMedia:
    """One sample's media after decoding: frames uint8 ``[N, H, W, 3]`` (N may be 0) with times, audio windows."""

    kind: str  # "video", "image", "audio" or "none"
    frames: list[Any]
    frame_times: np.ndarray
    audio: AudioWindows
    duration: float | None
    source: str = ""


class SAVEnVideoProcessor(ProcessorMixin):
    r"""Processor for SAVEnVideo: Qwen2 tokenizer + SigLIP image processor + BEATs feature extractor.

    Args:
        image_processor: a SigLIP image processor (default: 384 x 384, bicubic, mean = std = 0.5).
        feature_extractor: a ``BeatsFeatureExtractor`` (default: 128 mel bins at 16 kHz).
        tokenizer: a Qwen2 tokenizer with the media special tokens (required).
        chat_template: defaults to Qwen2 ChatML where a media item renders as
            ``<|vision_start|><|video_pad|><|vision_end|>``.
        num_frames (16): frames sampled uniformly in time from each video (the paper's 16).
        num_video_tokens (384) / num_audio_tokens (0): each ``<|video_pad|>`` is expanded to ``num_video_tokens``
            ``<|video_pad|>`` followed by ``num_audio_tokens`` ``<|audio_pad|>``; must equal the model config's.
        audio_window_seconds (2.0): length of the audio window centred on each frame (see ``audio_decoding``).
        video_backend ("auto"): "auto", "torchcodec", "decord" or "pyav"; a named backend is tried first.
        audio_backend ("auto"): "auto", "torchcodec" or "pyav".
        backend_fallback (True): fall back to the other backends when the chosen one cannot open a stream.
        decode_timeout (120.0): seconds one media item may take to decode before ``MediaTimeoutError``.
        max_query_times (16): at most this many query times per sample are kept.
        on_media_error ("raise"): "raise" a ``VideoDecodeError``, or "warn" and use empty (masked) media.
    """

    def __init__(
        self,
        image_processor=None,
        feature_extractor=None,
        tokenizer=None,
        chat_template=None,
        num_frames: int = 16,
        num_video_tokens: int = 384,
        num_audio_tokens: int = 0,
        audio_window_seconds: float = 2.0,
        video_backend: str = "auto",
        audio_backend: str = "auto",
        backend_fallback: bool = True,
        decode_timeout: float = 120.0,
        max_query_times: int = 16,
        on_media_error: str = "raise",
        **kwargs,
    ):
        if tokenizer is None:
            raise ValueError("SAVEnVideoProcessor needs a tokenizer")
        if image_processor is None:
            image_processor = self.default_image_processor()
        if feature_extractor is None:
            feature_extractor = BeatsFeatureExtractor()
        if chat_template is None:
            chat_template = SAVENVIDEO_CHAT_TEMPLATE
        self.num_frames = int(num_frames)
        self.num_video_tokens = int(num_video_tokens)
        self.num_audio_tokens = int(num_audio_tokens)
        self.audio_window_seconds = float(audio_window_seconds)
        self.video_backend = video_backend
        self.audio_backend = audio_backend
        self.backend_fallback = bool(backend_fallback)
        self.decode_timeout = None if decode_timeout is None else float(decode_timeout)
        self.max_query_times = int(max_query_times)
        if on_media_error not in ("raise", "warn"):
            raise ValueError(f"on_media_error must be 'raise' or 'warn', got {on_media_error!r}")
        self.on_media_error = on_media_error
        for key in list(kwargs):  # keys older/newer configs may carry; never fail a load on them
            if key not in self.get_attributes():
                logger.info("SAVEnVideoProcessor: ignoring unknown config entry %r", key)
                kwargs.pop(key)
        super().__init__(image_processor, feature_extractor, tokenizer, chat_template=chat_template, **kwargs)
        missing = [t for t in (VIDEO_TOKEN, AUDIO_TOKEN) if t not in self.tokenizer.get_vocab()]
        if missing:
            raise ValueError(f"the tokenizer lacks the media tokens {missing}")
        self.video_token_id = self.tokenizer.convert_tokens_to_ids(VIDEO_TOKEN)
        self.audio_token_id = self.tokenizer.convert_tokens_to_ids(AUDIO_TOKEN)

    @staticmethod
    def default_image_processor(image_size: int = 384):
        """SigLIP's preprocessing: resize to a square (no crop), bicubic, rescale 1/255, mean = std = 0.5."""
        from transformers import SiglipImageProcessor

        return SiglipImageProcessor(
            size={"height": image_size, "width": image_size},
            resample=3,  # PILImageResampling.BICUBIC
            image_mean=[0.5, 0.5, 0.5],
            image_std=[0.5, 0.5, 0.5],
        )

    # ----------------------------------------------------------------------------------------------------------
    @property
    def model_input_names(self) -> list[str]:
        return list(MODEL_INPUT_NAMES)

    @property
    def image_size(self) -> tuple[int, int] | None:
        size = getattr(self.image_processor, "size", None) or {}
        size = size if isinstance(size, dict) else dict(size)
        if "height" in size and "width" in size:
            return int(size["height"]), int(size["width"])
        return None

    @property
    def audio_frames_per_window(self) -> int:
        """T: fbank frames of one window (25 ms frames every 10 ms, only those that fit)."""
        rate = int(getattr(self.feature_extractor, "sampling_rate", 16000))
        samples = window_length(self.audio_window_seconds, rate)
        frame, shift = rate * 25 // 1000, rate * 10 // 1000
        return 1 + (samples - frame) // shift if samples >= frame else 0

    # ----------------------------------------------------------------------------------------------------------
    def __call__(
        self,
        images=None,
        text: str | Sequence[str] | None = None,
        videos=None,
        audio=None,
        *,
        return_tensors: str | None = "pt",
        padding: bool | str = True,
        padding_side: str | None = None,
        truncation: bool | None = None,
        max_length: int | None = None,
        num_frames: int | None = None,
        video_backend: str | None = None,
        audio_backend: str | None = None,
        video_fps: float | None = None,
        sampling_rate: int | None = None,
        query_texts: Sequence[str | None] | None = None,
        **kwargs,
    ) -> BatchFeature:
        """Tokenize ``text`` and decode the media of each sample.

        Args:
            text: one string or a batch; each holds at most one media placeholder
                ``<|video_pad|>`` (the chat template writes ``<|vision_start|><|video_pad|><|vision_end|>``).
            videos / images / audio: per sample, one input or None (a flat list of length B, a list of per-sample
                lists as ``apply_chat_template`` builds, or one input for a single sample). A sample has at most one
                of the three. Videos: path, URL, bytes, file-like, torchcodec ``VideoDecoder`` (``datasets``'
                ``Video()``), a frame array / list with ``video_fps`` or a ``{"frames", "fps"|"times"}`` dict.
                Images: PIL image, array or path (a one-frame video). Audio: path, bytes, file-like, torchcodec
                ``AudioDecoder``, a waveform (with ``sampling_rate``), a ``(waveform, rate)`` pair or an
                ``{"array", "sampling_rate"}`` dict (audio alone: no frames, W uniform windows).
            padding_side: "left" for generation, "right" for training (default: the tokenizer's).
            num_frames / video_backend / audio_backend: override the processor's settings for this call.
            query_texts: per sample, the text to look for query times in (default: the user turns of ``text``).

        Returns:
            BatchFeature with exactly the keys of ``model_input_names`` (docs/model_inputs.md).
        """
        if text is None:
            raise ValueError("SAVEnVideoProcessor needs `text` (use the chat template to make one)")
        if kwargs:
            ignored = {k for k in kwargs if k not in ("add_special_tokens", "return_attention_mask")}
            if ignored:
                logger.debug("SAVEnVideoProcessor: ignoring keyword arguments %s", sorted(ignored))
        texts = [text] if isinstance(text, str) else list(text)
        batch = len(texts)
        per_sample = {
            "video": _per_sample(videos, batch, "videos"),
            "image": _per_sample(images, batch, "images"),
            "audio": _per_sample(audio, batch, "audio"),
        }
        frames_wanted = int(num_frames or self.num_frames)
        media: list[LoadedMedia] = []
        for index in range(batch):
            given = [(kind, items[index]) for kind, items in per_sample.items() if items[index] is not None]
            placeholders = texts[index].count(VIDEO_TOKEN)
            if len(given) > 1:
                raise ValueError(
                    f"sample {index} has {len(given)} media items; SAVEnVideo takes at most one per sample"
                )
            if placeholders != len(given):
                raise ValueError(
                    f"sample {index}: the text has {placeholders} {VIDEO_TOKEN} placeholder(s) but {len(given)} media "
                    "item(s) were given; put exactly one placeholder per video/image/audio"
                )
            kind, item = given[0] if given else ("none", None)
            media.append(
                self._load_media(
                    kind,
                    item,
                    frames_wanted,
                    video_backend or self.video_backend,
                    audio_backend or self.audio_backend,
                    video_fps,
                    sampling_rate,
                )
            )

        data: dict[str, Any] = {}
        data.update(self._tokenize(texts, padding, padding_side, truncation, max_length))
        data.update(self._pixels(media, frames_wanted))
        data.update(self._audio(media, frames_wanted))
        if query_texts is None:
            query_texts = [_user_text(t) for t in texts]
        data.update(self._query_times(query_texts, media))
        if return_tensors in (None, "np"):
            data = {k: (v.numpy() if isinstance(v, torch.Tensor) else v) for k, v in data.items()}
            return BatchFeature(data, tensor_type="np" if return_tensors == "np" else None)
        if return_tensors != "pt":
            raise ValueError(f"return_tensors={return_tensors!r} is not supported; use 'pt' or 'np'")
        return BatchFeature(data, tensor_type="pt")

    # -- media ---------------------------------------------------------------------------------------------------
    def _load_media(self, kind, item, frames_wanted, video_backend, audio_backend, video_fps, sampling_rate):
        if kind == "none":
            return self._empty_media("none", frames_wanted)
        name = describe_source(item)
        try:
            if kind == "image":
                return self._load_image(item, frames_wanted)
            loader = self._load_video if kind == "video" else self._load_audio_only
            args = (item, frames_wanted, video_backend, audio_backend, video_fps, sampling_rate)
            if _in_memory(item):
                return loader(*args, deadline=Deadline(None, name))
            deadline = Deadline(self.decode_timeout, name)
            return run_with_timeout(lambda: loader(*args, deadline=deadline), self.decode_timeout, name)
        except VideoDecodeError as error:
            if self.on_media_error == "raise":
                raise
            logger.warning("%s; using empty media for this sample", error)
            return self._empty_media(kind, frames_wanted, source=error.source)

    def _empty_media(self, kind: str, frames_wanted: int, source: str = "") -> LoadedMedia:
        return LoadedMedia(
            kind, [], np.zeros(0), silent_windows(np.zeros(frames_wanted), self.audio_window_seconds), None, source
        )

    def _load_video(self, item, frames_wanted, video_backend, audio_backend, video_fps, sampling_rate, deadline):
        source = as_media_source(item, fps=video_fps)
        try:
            video = sample_video(
                source,
                frames_wanted,
                self.image_size,
                video_backend,
                fallback=self.backend_fallback,
                deadline=deadline,
            )
        except MediaTimeoutError:
            raise
        except VideoDecodeError as error:
            if "audio only" in error.reason:  # an audio file given as a video: treat it as audio alone
                return self._load_audio_only(
                    source, frames_wanted, video_backend, audio_backend, video_fps, sampling_rate, deadline
                )
            raise
        audio = decode_audio_windows(
            source,
            centres=video.times,
            window_seconds=self.audio_window_seconds,
            sample_rate=self._sampling_rate,
            backend=audio_backend,
            deadline=deadline,
        )
        duration = max(video.end, audio.end or 0.0)
        return LoadedMedia("video", list(video.frames), video.times, audio, duration, source.name)

    def _load_audio_only(self, item, frames_wanted, video_backend, audio_backend, video_fps, sampling_rate, deadline):
        waveform = _as_waveform(item, sampling_rate)
        if waveform is not None:
            samples, rate = waveform
            audio = windows_from_waveform(
                samples, rate, None, frames_wanted, self.audio_window_seconds, self._sampling_rate
            )
        else:
            source = _audio_source(item)
            audio = decode_audio_windows(
                source,
                centres=None,
                num_windows=frames_wanted,
                window_seconds=self.audio_window_seconds,
                sample_rate=self._sampling_rate,
                backend=audio_backend,
                deadline=deadline,
                raise_errors=True,
            )
            if not audio.has_audio:
                raise VideoDecodeError(
                    source.name if isinstance(source, MediaSource) else describe_source(item), "no audio stream"
                )
        return LoadedMedia("audio", [], np.zeros(0), audio, audio.end, describe_source(item))

    def _load_image(self, item, frames_wanted) -> LoadedMedia:
        from PIL import Image

        if isinstance(item, dict):
            item = item.get("image", item.get("path", item.get("bytes")))
        image = item
        if isinstance(item, (str, bytes, bytearray)) or hasattr(item, "read"):
            import io
            import os

            try:
                handle = io.BytesIO(bytes(item)) if isinstance(item, (bytes, bytearray)) else item
                if isinstance(item, str):
                    as_media_source(item)  # the same checks as for videos (exists, regular, readable, non-empty)
                    handle = os.fspath(item)
                image = Image.open(handle)
                image.load()
            except VideoDecodeError:
                raise
            except Exception as error:  # noqa: BLE001
                raise VideoDecodeError(describe_source(item), f"not a readable image ({error})") from error
        if type(image).__module__.startswith("PIL"):
            image = image.convert("RGB")
        silent = silent_windows(np.zeros(frames_wanted), self.audio_window_seconds)
        return LoadedMedia("image", [image], np.zeros(1), silent, None, describe_source(item))

    @property
    def _sampling_rate(self) -> int:
        return int(getattr(self.feature_extractor, "sampling_rate", 16000))

    # -- tensors -------------------------------------------------------------------------------------------------
    def _tokenize(self, texts, padding, padding_side, truncation, max_length) -> dict[str, torch.Tensor]:
        expansion = VIDEO_TOKEN * self.num_video_tokens + AUDIO_TOKEN * self.num_audio_tokens
        for text in texts:
            if AUDIO_TOKEN in text:
                raise ValueError(f"the text already holds {AUDIO_TOKEN}: pass unexpanded text (one {VIDEO_TOKEN})")
        expanded = [expansion.join(text.split(VIDEO_TOKEN)) for text in texts]
        tokenizer_kwargs = {"padding": padding, "return_tensors": "pt", "return_attention_mask": True}
        if padding_side is not None:
            tokenizer_kwargs["padding_side"] = padding_side
        if truncation:
            tokenizer_kwargs.update(truncation=truncation, max_length=max_length)
        encoded = self.tokenizer(expanded, **tokenizer_kwargs)
        input_ids, attention_mask = encoded["input_ids"], encoded["attention_mask"]
        for index, text in enumerate(texts):
            media = text.count(VIDEO_TOKEN)
            videos = int((input_ids[index] == self.video_token_id).sum())
            audios = int((input_ids[index] == self.audio_token_id).sum())
            if videos != media * self.num_video_tokens or audios != media * self.num_audio_tokens:
                raise ValueError(
                    f"sample {index}: {videos} video / {audios} audio tokens after tokenization, expected "
                    f"{media * self.num_video_tokens} / {media * self.num_audio_tokens} (truncated?)"
                )
        return {"input_ids": input_ids.long(), "attention_mask": attention_mask.long()}

    def _pixels(self, media: list[LoadedMedia], frames_wanted: int) -> dict[str, torch.Tensor]:
        height, width = self.image_size or (384, 384)
        batch = len(media)
        pixels = torch.zeros(batch, frames_wanted, 3, height, width)
        frame_mask = torch.zeros(batch, frames_wanted, dtype=torch.bool)
        frame_times = torch.zeros(batch, frames_wanted)
        frames, owners = [], []
        for index, sample in enumerate(media):
            count = min(len(sample.frames), frames_wanted)
            frames.extend(sample.frames[:count])
            owners.extend((index, slot) for slot in range(count))
            frame_mask[index, :count] = True
            frame_times[index, :count] = torch.as_tensor(sample.frame_times[:count], dtype=torch.float32)
        if frames:
            arrays = [_hwc(frame) for frame in frames]
            ready = [i for i, a in enumerate(arrays) if a.shape == (height, width, 3) and a.dtype == np.uint8]
            others = [i for i in range(len(arrays)) if i not in set(ready)]
            processed = [None] * len(arrays)
            if ready:
                # Decoded frames already have the model's size (resized at decode time): one batched
                # rescale + normalise through the image processor, no second resize.
                stack = torch.from_numpy(np.stack([arrays[i] for i in ready])).permute(0, 3, 1, 2)
                values = self.image_processor(
                    images=stack, do_resize=False, disable_grouping=False, return_tensors="pt"
                )["pixel_values"]
                for i, value in zip(ready, values):
                    processed[i] = value
            if others:
                values = self.image_processor(
                    images=[arrays[i] for i in others], return_tensors="pt", input_data_format="channels_last"
                )["pixel_values"]
                for i, value in zip(others, values):
                    processed[i] = value
            if processed[0].shape[-2:] != (height, width):
                pixels = torch.zeros(batch, frames_wanted, 3, *processed[0].shape[-2:])
            for (index, slot), value in zip(owners, processed):
                pixels[index, slot] = value
        return {"pixel_values_videos": pixels, "video_frame_mask": frame_mask, "video_frame_times": frame_times}

    def _audio(self, media: list[LoadedMedia], windows_wanted: int) -> dict[str, torch.Tensor]:
        frames_per_window = self.audio_frames_per_window
        bins = int(getattr(self.feature_extractor, "feature_size", 128))
        batch = len(media)
        features = torch.zeros(batch, windows_wanted, frames_per_window, bins)
        feature_mask = torch.zeros(batch, windows_wanted, frames_per_window, dtype=torch.bool)
        window_mask = torch.zeros(batch, windows_wanted, dtype=torch.bool)
        window_times = torch.zeros(batch, windows_wanted)
        clips, owners = [], []
        for index, sample in enumerate(media):
            audio = sample.audio
            # A video's windows follow its frames: only the slots of real frames get a window.
            usable = len(audio.centres) if sample.kind == "audio" else min(len(sample.frames), len(audio.centres))
            usable = min(usable, windows_wanted)
            window_times[index, :usable] = torch.as_tensor(audio.times[:usable], dtype=torch.float32)
            if not audio.has_audio:
                continue
            starts = audio.starts if audio.starts is not None else audio.centres
            for slot in range(usable):
                valid = int(audio.valid[slot])
                # Audio alone shorter than the windows: one window holds it all, the copies are masked.
                repeated = sample.kind == "audio" and slot > 0 and abs(starts[slot] - starts[slot - 1]) < 1e-6
                if valid > 0 and not repeated:
                    clips.append(audio.waveforms[slot, :valid])
                    owners.append((index, slot))
        if clips:
            length = window_length(self.audio_window_seconds, self._sampling_rate)
            out = self.feature_extractor(
                clips,
                sampling_rate=self._sampling_rate,
                padding="max_length",
                max_length=length,
                return_tensors="pt",
            )
            values, masks = out["input_features"], out["attention_mask"].bool()
            if values.shape[1:] != features.shape[2:]:
                features = torch.zeros(batch, windows_wanted, *values.shape[1:])
                feature_mask = torch.zeros(batch, windows_wanted, values.shape[1], dtype=torch.bool)
            for (index, slot), value, mask in zip(owners, values, masks):
                features[index, slot] = value
                feature_mask[index, slot] = mask
                window_mask[index, slot] = bool(mask.any())
        return {
            "audio_features": features,
            "audio_feature_mask": feature_mask,
            "audio_window_mask": window_mask,
            "audio_window_times": window_times,
        }

    def _query_times(self, query_texts: Sequence[str | None], media: list[LoadedMedia]) -> dict[str, torch.Tensor]:
        parsed = []
        for index, (text, sample) in enumerate(zip(query_texts, media)):
            result = parse_query_times(text or "", duration=sample.duration, source=sample.source or f"sample {index}")
            times = result.times
            if len(times) > self.max_query_times:
                logger.warning(
                    "sample %d mentions %d times; keeping the first %d", index, len(times), self.max_query_times
                )
                times = times[: self.max_query_times]
            parsed.append(times)
        width = max(1, max((len(times) for times in parsed), default=0))
        query_times = torch.zeros(len(parsed), width)
        query_mask = torch.zeros(len(parsed), width, dtype=torch.bool)
        for index, times in enumerate(parsed):
            query_times[index, : len(times)] = torch.as_tensor(times, dtype=torch.float32)
            query_mask[index, : len(times)] = True
        return {"query_times": query_times, "query_time_mask": query_mask}

    # -- chat ----------------------------------------------------------------------------------------------------
    def apply_chat_template(
        self,
        conversation,
        chat_template: str | None = None,
        add_generation_prompt: bool = False,
        continue_final_message: bool = False,
        tokenize: bool = False,
        return_dict: bool = False,
        return_tensors: str | None = "pt",
        padding_side: str | None = None,
        processor_kwargs: dict | None = None,
        **kwargs,
    ):
        """Render conversations with the ChatML template; with ``tokenize=True`` also load their media.

        Content items: ``{"type": "text", "text": ...}``, ``{"type": "video", "path" | "url" | "video": ...}``,
        ``{"type": "image", "path" | "url" | "image": ...}``, ``{"type": "audio", "path" | "url" | "audio": ...}``
        (plus ``"sampling_rate"`` for a waveform, ``"fps"`` / ``"times"`` for a frame array).
        With ``tokenize=True, return_dict=True`` the result is the model's inputs; padding is on the left when
        ``add_generation_prompt`` (generation) and the tokenizer's side otherwise, unless ``padding_side`` is given.
        Query times are read from the user messages' text.
        """
        template = chat_template or self.chat_template
        if isinstance(template, dict):
            template = template.get("default") or next(iter(template.values()))
        is_batched = (
            isinstance(conversation, (list, tuple))
            and bool(conversation)
            and isinstance(conversation[0], (list, tuple))
        )
        conversations = list(conversation) if is_batched else [conversation]
        conversations = [[_as_dict(message) for message in conv] for conv in conversations]
        render_kwargs = {k: v for k, v in kwargs.items() if k not in ("return_assistant_tokens_mask",)}
        prompts = [
            self.tokenizer.apply_chat_template(
                conv,
                chat_template=template,
                add_generation_prompt=add_generation_prompt,
                continue_final_message=continue_final_message,
                tokenize=False,
                **render_kwargs,
            )
            for conv in conversations
        ]
        if not tokenize:
            return prompts if is_batched else prompts[0]

        options = dict(processor_kwargs or {})
        videos, images, audios, query_texts = [], [], [], []
        for conv in conversations:
            found = {"video": None, "image": None, "audio": None}
            user_text = []
            for message in conv:
                content = message.get("content")
                if isinstance(content, str):
                    if message.get("role") == "user":
                        user_text.append(content)
                    continue
                for item in content or []:
                    kind = item.get("type")
                    if kind == "text" and message.get("role") == "user":
                        user_text.append(item.get("text") or "")
                    if kind in found:
                        value = _media_from_item(item, kind)
                        if found[kind] is not None or sum(v is not None for v in found.values()):
                            raise ValueError("SAVEnVideo takes at most one video, image or audio per conversation")
                        found[kind] = value
            videos.append(found["video"])
            images.append(found["image"])
            audios.append(found["audio"])
            query_texts.append("\n".join(user_text))
        if padding_side is None and add_generation_prompt:
            padding_side = "left"
        out = self(
            text=prompts,
            videos=videos,
            images=images,
            audio=audios,
            return_tensors=return_tensors,
            padding_side=padding_side,
            query_texts=query_texts,
            **options,
        )
        return out if return_dict else out["input_ids"]

    def batch_decode(self, *args, **kwargs):
        return self.tokenizer.batch_decode(*args, **kwargs)

    def decode(self, *args, **kwargs):
        return self.tokenizer.decode(*args, **kwargs)


# ----------------------------------------------------------------------------------------------------------------
def _per_sample(value: Any, batch: int, name: str) -> list[Any]:
    """Normalise a media argument to one entry (or None) per sample.

    Accepted: None; one input (a single sample); a list with one entry per sample, where an entry may itself be a
    per-sample list of at most one item (what transformers' chat templating builds). For a single sample, a list
    of frames or a ``(waveform, rate)`` pair is one input.
    """
    if value is None:
        return [None] * batch
    if not isinstance(value, (list, tuple)) or _is_pair(value) or (batch == 1 and not _is_media_list(value)):
        if batch != 1:
            raise ValueError(f"`{name}` must be a list with one entry (or None) per text ({batch} texts)")
        return [value]
    if len(value) != batch:
        raise ValueError(f"`{name}` has {len(value)} entries for {batch} texts; give one entry (or None) per text")
    out = []
    for index, entry in enumerate(value):
        if isinstance(entry, (list, tuple)) and not _is_pair(entry) and _is_media_list(entry):
            entries = [e for e in entry if e is not None]
            if len(entries) > 1:
                raise ValueError(f"sample {index} has {len(entries)} {name}; SAVEnVideo takes at most one per sample")
            entry = entries[0] if entries else None
        out.append(entry)
    return out


def _is_pair(value: Any) -> bool:
    """A ``(waveform, sampling_rate)`` pair."""
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and isinstance(value[1], (int, float))
        and not isinstance(value[1], bool)
        and hasattr(value[0], "__len__")
    )


def _is_media_list(value: Sequence[Any]) -> bool:
    """A list of media items (paths, bytes, dicts, decoders, file-likes, None, per-sample lists), as opposed to a
    list of frames or a ``(waveform, rate)`` pair."""
    if not value:
        return True
    for entry in value:
        if entry is None or isinstance(entry, (str, bytes, bytearray, dict)) or hasattr(entry, "read"):
            return True
        if type(entry).__name__ in ("VideoDecoder", "AudioDecoder", "PosixPath", "WindowsPath", "MediaSource"):
            return True
        if isinstance(entry, (list, tuple)) and not _is_pair(entry):
            return True
        if getattr(entry, "ndim", None) == 4:  # one [T, H, W, 3] array per sample
            return True
    return False


def _hwc(frame: Any) -> np.ndarray:
    if type(frame).__module__.startswith("PIL"):
        return np.array(frame.convert("RGB"))  # a writable copy (torch.from_numpy warns on read-only arrays)
    return np.asarray(frame)


def _in_memory(item: Any) -> bool:
    if isinstance(item, dict):
        return "frames" in item or "array" in item or isinstance(item.get("audio"), np.ndarray)
    if isinstance(item, (np.ndarray, torch.Tensor)):
        return True
    return isinstance(item, (list, tuple)) and bool(item) and not isinstance(item[0], (str, bytes))


def _as_waveform(item: Any, sampling_rate: int | None) -> tuple[Any, int] | None:
    """A waveform given in memory, as (samples, rate), or None for a file-like / encoded input."""
    if isinstance(item, MediaSource):
        return None
    if isinstance(item, dict):
        array = item.get("array", item.get("audio") if not isinstance(item.get("audio"), (str, bytes)) else None)
        if array is not None:
            return array, int(item.get("sampling_rate") or item.get("sample_rate") or sampling_rate or 16000)
        return None
    if isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[1], (int, float)):
        return item[0], int(item[1])
    if isinstance(item, (np.ndarray, torch.Tensor)):
        return item, int(sampling_rate or 16000)
    return None


def _audio_source(item: Any) -> Any:
    if type(item).__name__ == "AudioDecoder":
        encoded = getattr(item, "_hf_encoded", None) or {}
        if encoded.get("bytes") or encoded.get("path"):
            return as_media_source({"path": encoded.get("path"), "bytes": encoded.get("bytes")})
        samples = item.get_all_samples()
        return MediaSource("frames", [], "<AudioDecoder>", fps=1.0, audio=(samples.data, samples.sample_rate))
    if isinstance(item, dict) and not item.get("path") and not item.get("bytes"):
        raise VideoDecodeError(repr(item)[:80], "an audio dict needs 'array', 'path' or 'bytes'")
    return as_media_source(item)


def _media_from_item(item: dict, kind: str) -> Any:
    for key in (kind, "path", "url", "base64"):
        if item.get(key) is not None:
            value = item[key]
            break
    else:
        raise ValueError(f"a {kind} item needs one of '{kind}', 'path' or 'url': {item}")
    extras = {k: item[k] for k in ("fps", "times", "sampling_rate") if k in item}
    if extras and kind == "video" and not isinstance(value, (str, bytes, dict)):
        return {"frames": value, **extras}
    if extras and kind == "audio" and not isinstance(value, (str, bytes)):
        return {"array": value, **extras}
    return value


def _as_dict(message: Any) -> dict:
    if isinstance(message, dict):
        return {k: v for k, v in message.items() if v is not None}
    if hasattr(message, "model_dump"):
        return message.model_dump(exclude_none=True)
    return dict(message)


def _user_text(text: str) -> str:
    """The user turns of a ChatML text (the answer and the system prompt must not feed the query times)."""
    turns = _USER_TURN.findall(text)
    return _SPECIAL.sub(" ", "\n".join(turns) if turns else text)


SAVEnVideoProcessor.register_for_auto_class("AutoProcessor")

__all__ = ["SAVEnVideoProcessor", "SAVENVIDEO_CHAT_TEMPLATE", "VideoDecodeError", "MediaTimeoutError"]
