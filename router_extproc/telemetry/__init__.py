"""Operations: per-request record, Prometheus metrics, OpenTelemetry traces, decision log.

``Telemetry`` is what the processor talks to: it hands a finished ``RequestRecord`` to
every observer that is switched on. An observer's failure is logged and never reaches the
request: telemetry must not change what the client gets.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from router_extproc.telemetry.decision_log import DecisionLog
from router_extproc.telemetry.metrics import RouterMetrics
from router_extproc.telemetry.record import RequestRecord
from router_extproc.telemetry.tracing import Tracing

log = logging.getLogger(__name__)

__all__ = ["DecisionLog", "RequestRecord", "RouterMetrics", "Telemetry", "Tracing"]


@dataclass
class Telemetry:
    metrics: RouterMetrics | None = None
    tracing: Tracing | None = None
    decision_log: DecisionLog | None = None

    def prompt_hash(self, texts: Iterable[str]) -> str | None:
        """The decision log's keyed hash of the prompt; None without a log or a key."""
        return self.decision_log.prompt_hash(texts) if self.decision_log is not None else None

    def finish(self, record: RequestRecord, metadata: Mapping[str, str], headers: Mapping[str, str]) -> None:
        """Called once per ext_proc stream, after its last message."""
        if self.tracing is not None:
            try:
                self.tracing.export(record, metadata, headers)
            except Exception:
                log.exception("trace export failed for request %s", record.request_id)
        if self.metrics is not None:
            try:
                self.metrics.observe(record)
            except Exception:
                log.exception("metrics failed for request %s", record.request_id)
        if self.decision_log is not None:
            try:
                self.decision_log.write(record)
            except Exception:
                log.exception("decision log failed for request %s", record.request_id)

    def close(self) -> None:
        if self.tracing is not None:
            self.tracing.shutdown()
        if self.decision_log is not None:
            self.decision_log.close()
