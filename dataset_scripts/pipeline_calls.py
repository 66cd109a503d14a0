"""Model calls with a bounded number of attempts: a reply that fails to parse or validate is asked for again.

All calls of a stage for a batch of videos go to the engine together (one ``generate`` per role and attempt),
so an in-process engine batches them and an HTTP engine keeps its servers busy. Only failed calls are retried,
with a fresh seed and at least ``retry_temperature`` (a greedy retry would repeat the same reply). Seeds derive
from the pipeline seed and the call's id, so a resumed run asks the same questions as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .engine_base import ChatRequest
from .pipeline_config import PipelineConfig
from .pipeline_engines import EnginePool
from .pipeline_parsers import ParseError


def derive_seed(seed: int, *parts: object) -> int:
    """A 31-bit seed from the pipeline seed and any identifying parts."""
    digest = hashlib.sha256("\x1f".join(map(str, (seed, *parts))).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Call:
    """One model call: ``call_id`` names it uniquely in the run ("<video>/<stage>/<item>"); ``sampling`` is a
    key of the config's ``sampling``; ``parse`` turns the reply into a value or raises `ParseError`."""

    key: Hashable
    role: str
    sampling: str
    call_id: str
    messages: list[dict[str, Any]]
    parse: Callable[[str], Any]


@dataclass
class Outcome:
    value: Any = None
    reason: str | None = None
    detail: str = ""
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.reason is None


@dataclass
class CallStats:
    """Model time and call counts, for the run summary and the overhead benchmark."""

    requests: int = 0
    model_seconds: float = 0.0
    retries: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


class Caller:
    def __init__(self, config: PipelineConfig, engines: EnginePool):
        self.config = config
        self.engines = engines
        self.stats = CallStats()

    def request(self, call: Call, attempt: int) -> ChatRequest:
        sampling = self.config.sampling[call.sampling]
        temperature = sampling.temperature
        if attempt:
            temperature = max(temperature, self.config.checks.retry_temperature)
        return ChatRequest(
            messages=call.messages,
            max_new_tokens=sampling.max_new_tokens,
            temperature=temperature,
            seed=derive_seed(self.config.seed, call.call_id, attempt),
            request_id=f"{call.call_id}#{attempt}",
        )

    def run(self, calls: Sequence[Call]) -> dict[Hashable, Outcome]:
        """Every call's outcome after at most ``checks.max_attempts`` attempts."""
        outcomes = {call.key: Outcome() for call in calls}
        pending = list(calls)
        for attempt in range(self.config.checks.max_attempts):
            if not pending:
                break
            if attempt:
                self.stats.retries += len(pending)
            for role in sorted({call.role for call in pending}):
                group = [call for call in pending if call.role == role]
                self._attempt(role, group, attempt, outcomes)
            pending = [call for call in pending if not outcomes[call.key].ok]
        return outcomes

    def _attempt(self, role: str, calls: list[Call], attempt: int, outcomes: dict[Hashable, Outcome]) -> None:
        requests = [self.request(call, attempt) for call in calls]
        self.stats.requests += len(requests)
        try:
            results = self.engines.get(role).generate(requests)
            if len(results) != len(requests):
                raise RuntimeError(f"the engine returned {len(results)} results for {len(requests)} requests")
        except Exception as error:  # an engine that breaks fails this attempt of its calls, not the run
            results = [None] * len(requests)
            crash = f"{type(error).__name__}: {error}"
        for call, result in zip(calls, results):
            outcome = outcomes[call.key]
            outcome.attempts = attempt + 1
            if result is None:
                outcome.reason, outcome.detail = "engine_error", crash
            elif result.error is not None:
                self.stats.model_seconds += result.latency_s
                outcome.reason, outcome.detail = "engine_error", result.error
            else:
                self.stats.model_seconds += result.latency_s
                try:
                    outcome.value, outcome.reason, outcome.detail = call.parse(result.text), None, ""
                except ParseError as error:
                    outcome.reason, outcome.detail = error.reason, error.detail
            if outcome.reason is not None:
                self.stats.by_reason[outcome.reason] = self.stats.by_reason.get(outcome.reason, 0) + 1
