import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def test_demo_once_prints_routed_examples(tmp_path) -> None:
    proc = subprocess.run([sys.executable, "-m", "router_extproc", "demo", "--once"], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "curl -sS -i http://127.0.0.1:" in out
    assert "x-router-decision=code x-router-model=large x-backend=large" in out
    assert "x-router-decision=hard-reasoning x-router-model=frontier" in out
    assert "HTTP 404 x-router-decision=refused" in out
