"""The models of each role, built when a stage first needs them and closed when no later stage does.

Stages run one after another over the whole collection, so the 72B visual model and the 72B text model never
have to share a GPU: the pool keeps only the engines of the current stage. Two roles with the same settings share
one engine. A role's settings are an `engine_config.EngineConfig` mapping plus, for the echo kind only,
``reply: "module:function"`` (a function of a `ChatRequest` returning the reply text) for scripted dry runs.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable
from typing import Any

from .engine_base import Engine
from .engine_config import EngineConfig, build_engine
from .pipeline_config import PipelineConfig, PipelineConfigError


def import_object(spec: str) -> Any:
    """The object ``"package.module:name"`` names."""
    module, _, name = spec.partition(":")
    if not module or not name:
        raise PipelineConfigError(f"reply: expected 'module:function', got {spec!r}")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise PipelineConfigError(f"reply: cannot import {spec!r} ({error})") from None


def engine_from_settings(settings: dict[str, Any]) -> Engine:
    settings = dict(settings)
    reply = settings.pop("reply", None)
    config = EngineConfig.from_mapping(settings)
    if reply is None:
        return build_engine(config)
    if config.kind != "echo":
        raise PipelineConfigError(f"reply: only an echo engine takes a scripted reply, not a {config.kind} one")
    from .engine_echo import EchoEngine

    return EchoEngine(config, reply=import_object(reply))


def check_settings(config: PipelineConfig, roles: Iterable[str]) -> None:
    """Fail at start, not hours in, when a role has no engine or its settings are wrong."""
    for role in roles:
        settings = dict(config.engine_for(role))
        reply = settings.pop("reply", None)
        try:
            EngineConfig.from_mapping(settings)
        except ValueError as error:
            raise PipelineConfigError(f"engines.{role}: {error}") from None
        if reply is not None:
            import_object(reply)


class EnginePool:
    """Engines by role. ``given`` maps roles to ready engines (tests, notebooks); the pool never closes those."""

    def __init__(
        self,
        config: PipelineConfig,
        given: dict[str, Engine] | None = None,
        factory: Callable[[dict[str, Any]], Engine] = engine_from_settings,
    ):
        self.config = config
        self.given = dict(given or {})
        self.factory = factory
        self._built: dict[str, Engine] = {}

    def _key(self, role: str) -> str:
        return json.dumps(self.config.engine_for(role), sort_keys=True)

    def given_engine(self, role: str) -> Engine | None:
        """The ready engine handed in for ``role`` (``judge`` falls back to ``text``), if any."""
        if role in self.given:
            return self.given[role]
        if role == "judge" and "judge" not in self.config.engines:
            return self.given.get("text")
        return None

    def get(self, role: str) -> Engine:
        given = self.given_engine(role)
        if given is not None:
            return given
        key = self._key(role)
        if key not in self._built:
            self._built[key] = self.factory(self.config.engine_for(role))
        return self._built[key]

    def keep_only(self, roles: Iterable[str]) -> None:
        """Close the built engines that none of ``roles`` uses."""
        needed = set()
        for role in roles:
            if self.given_engine(role) is None:
                try:
                    needed.add(self._key(role))
                except PipelineConfigError:  # a role with no engine has nothing to keep
                    continue
        for key in [key for key in self._built if key not in needed]:
            self._built.pop(key).close()

    def close(self) -> None:
        self.keep_only(())
