"""Hot reload: watch the policy *directory*, debounce, validate, build, swap atomically.

Kubernetes updates a ConfigMap volume by swapping a ``..data`` symlink: the policy file's own
inode never changes and a watch on the file misses it. So the watcher polls the resolved
path and the file's identity (real path, inode, size, mtime); a change is loaded only after it
has been stable for ``debounce`` seconds. A new router is built around the shared models
(nothing reloaded from disk but the YAML) and swapped in one assignment; streams in flight
keep the router they started with. An invalid policy is logged with its error and the last
good one stays in force (``RouterState.status`` counts both).

A policy is also invalid *for this deployment* when it names a model Envoy has no route for
(Envoy's routes were rendered from the policy at start) or changes the default model
(Envoy's fail-open route): those changes need a re-rendered Envoy config and a rollout.

And a reload may not drop a decision, a signal, a model or a private header unless the new
file lists it in ``allow_removal``: a file cut short (a partial write, a bad copy) still parses,
and without this guard its missing tail (the gates are often last) would silently go. The
real protection is an atomic write (a ConfigMap's ``..data`` swap, or write-then-rename); this
guard catches the write that was not.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import pathlib

from router_extproc.policy.loader import PolicyError, parse_policy
from router_extproc.policy.spec import Policy
from router_extproc.routing.router import Router
from router_extproc.server.state import RouterState
from router_extproc.signals import SharedArtifacts

log = logging.getLogger(__name__)


def policy_version(text: str) -> str:
    """A short content hash: the same file gives the same version on every replica."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _identity(path: pathlib.Path) -> tuple | None:
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError:
        return None
    return real, st.st_ino, st.st_size, st.st_mtime_ns


class PolicyWatcher:
    def __init__(self, path: pathlib.Path, state: RouterState, models: SharedArtifacts,
                 interval: float = 0.5, debounce: float = 0.5) -> None:
        self.path = path
        self.state = state
        self.models = models
        self.interval = interval
        self.debounce = debounce
        self._seen = _identity(path)
        self._task: asyncio.Task | None = None
        started = state.current().policy
        self.routable = frozenset(started.models)
        """Models Envoy can route to: the policy's at start (Envoy's config was rendered from it)."""
        self.default_model = started.default_model

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="policy-watcher")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            current = _identity(self.path)
            if current == self._seen or current is None:
                continue
            await asyncio.sleep(self.debounce)  # let a burst of writes settle
            if _identity(self.path) != current:
                continue
            self._seen = current
            await asyncio.get_running_loop().run_in_executor(None, self.reload)

    def reload(self) -> bool:
        """Load, validate, build, swap. Returns whether the new policy is in force."""
        try:
            text = self.path.read_text(encoding="utf-8")
            policy = parse_policy(text, str(self.path))
            version = policy_version(text)
            if version == self.state.current().version:
                self.state.keep()  # the file in force is back on disk: nothing is failing any more
                return True
            self._check_routable(policy)
            self._check_removals(policy)
            router = Router(policy, version=version, artifacts=self.models)
        except (OSError, UnicodeDecodeError, PolicyError, ValueError) as exc:
            message = str(exc).replace("\n", " | ")
            self.state.reject(message)
            log.error("policy reload rejected, keeping version %s: %s", self.state.current().version, message)
            return False
        self.state.replace(router)
        log.info("policy reloaded: %s version %s", policy.name, version)
        return True

    def _check_removals(self, policy: Policy) -> None:
        dropped = self.state.current().policy.removable_items() - policy.removable_items()
        unlisted = sorted(dropped - set(policy.allow_removal))
        if unlisted:
            raise ValueError(f"the new file drops {unlisted} without listing them in allow_removal "
                             "(a partial write?); list them there to remove them on purpose")

    def _check_routable(self, policy: Policy) -> None:
        unknown = sorted(set(policy.models) - self.routable)
        if unknown:
            raise ValueError(f"models {unknown} have no Envoy route: render the Envoy config "
                             "(router-extproc render-envoy) and roll out instead of hot-reloading")
        if policy.default_model != self.default_model:
            raise ValueError(f"default_model changed ({self.default_model!r} -> {policy.default_model!r}): "
                             "Envoy's fail-open route points at the old one; roll out instead")
