"""The run command's server process: it serves, and stopping it stops both servers."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from actions.paths import PROJECT_ROOT
from tools.servers import free_port, port_is_free
from tools.train import MODEL_PATH


@pytest.mark.integration
def test_stopping_the_serve_command_stops_both_servers(model) -> None:
    assert MODEL_PATH.is_file()
    rasa_port, action_port = free_port(), free_port()
    proc = subprocess.Popen([sys.executable, "-m", "tools.cli", "serve", "--port", str(rasa_port),
                             "--action-port", str(action_port)], cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            line = proc.stdout.readline() if proc.stdout else ""
            if "is running" in line or proc.poll() is not None:
                break
        url = f"http://127.0.0.1:{rasa_port}/webhooks/rest/"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (port_is_free(rasa_port)
                                                   and port_is_free(action_port)):
            time.sleep(0.5)
        assert port_is_free(rasa_port) and port_is_free(action_port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
