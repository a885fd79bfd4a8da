from __future__ import annotations

import pytest

from router_extproc.demo.stack import running_stack


@pytest.fixture(scope="module")
def stack(default_policy_path, tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    with running_stack(default_policy_path, log_dir=logs) as running:
        yield running
