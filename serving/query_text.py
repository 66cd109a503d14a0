"""The text SAVEnVideo reads query times from, recovered from a rendered ChatML prompt.

Offline, the processor looks for times (``what happens at 1:23?``) in the user turns only: neither the system
prompt nor earlier answers may move the model's attention. vLLM hands the multimodal processor the rendered prompt
as token ids, so the user turns are cut out of its decoded text the same way.
"""

from __future__ import annotations

import re

from savenvideo.processing.query_times import parse_query_times

_USER_TURN = re.compile(r"<\|im_start\|>user\n(.*?)(?:<\|im_end\|>|$)", re.DOTALL)
_SPECIAL_TOKEN = re.compile(r"<\|[a-z_]+\|>")


def user_text(prompt: str) -> str:
    """The user turns of a ChatML prompt, joined by newlines, special tokens blanked; the whole text if it has none."""
    turns = _USER_TURN.findall(prompt)
    return _SPECIAL_TOKEN.sub(" ", "\n".join(turns) if turns else prompt)


def mentioned_times(text: str) -> list[float]:
    """The times ``text`` names, in seconds, before clipping to a video's duration (the processor clips)."""
    return list(parse_query_times(text).times)
