"""Every `curl` line of the README runs as printed against a live `techsov serve` over the repository's seed; a
session that writes (it makes a key with `techsov keys create` and keeps it in a shell variable) runs whole, as
one script, against a server of its own."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import serve

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"```(?:sh|bash|console)\n(.*?)```", re.S)
_HOST = re.compile(r"(?:http://)?(?:localhost|127\.0\.0\.1):8000")
SESSION = "techsov keys create"
"""What marks a shell block as a write session: it makes its key, then every line depends on what came before."""


def curl_lines() -> list[str]:
    """The curl command lines of the README's shell blocks (a `$ ` prompt taken off), but a write session's."""
    lines = []
    for block in _BLOCK.findall(README.read_text("utf-8")):
        if SESSION in block:
            continue
        for line in block.replace("\\\n", "").splitlines():  # a line continued with `\` is one command
            command = line.removeprefix("$ ")
            if command.startswith("curl "):
                lines.append(command)
    return lines


def test_the_readme_shows_curl_examples() -> None:
    lines = curl_lines()
    assert len(lines) >= 25
    assert any("q=习近平" in line for line in lines)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("line", curl_lines())
def test_every_readme_curl_line_runs_as_printed(line: str, live_server: str, tmp_path: Path) -> None:
    command = _HOST.sub(live_server, line, count=1)
    # The status goes to stderr, so a line that writes to a file (`> statements.csv`) still runs as printed.
    own_format = "-w " in command  # the line prints what it wants (the reconciliation view's redirect)
    if not own_format:
        command = command.replace("curl ", "curl -w '%{stderr}%{http_code}' ", 1)
    finished = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, timeout=60, check=False)
    assert finished.returncode == 0, f"curl exited {finished.returncode}: {finished.stderr.decode()}"
    if own_format:
        assert finished.stdout.strip(), line
        return
    status = int(finished.stderr.decode()[-3:])
    expected = 404 if "/actros/" in line else 200  # the README's own example of an error
    assert status == expected, f"{line}\n{finished.stdout.decode()[:500]}"
    written = sorted(tmp_path.iterdir())
    assert finished.stdout or (written and written[0].stat().st_size > 0)


def python_blocks() -> list[str]:
    """The README's Python examples that speak to the API directly (pandas, NetworkX); the generated client's
    example needs the generator's output and is what tests/api/test_generated_client.py runs."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), re.S)
    return [block for block in blocks if "techsov_client" not in block]


def test_the_readme_shows_pandas_and_networkx() -> None:
    blocks = python_blocks()
    assert any("import pandas" in block for block in blocks)
    assert any("networkx" in block for block in blocks)


@pytest.mark.parametrize("block", python_blocks())
def test_every_readme_python_example_runs_as_printed(block: str, live_server: str, tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(_HOST.sub(live_server, block) + "\nprint('ran to the end')\n", "utf-8")
    finished = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert finished.stdout.endswith("ran to the end\n")


def write_sessions() -> list[str]:
    """The README's shell blocks that write: each makes its key first and uses it from a shell variable."""
    return [block for block in _BLOCK.findall(README.read_text("utf-8")) if SESSION in block]


def test_the_readme_shows_a_write_session() -> None:
    (session,) = write_sessions()
    for step in ("techsov keys create", "-X POST", "If-Match: $ETAG", "-X PATCH", "/history", "?version=1"):
        assert step in session


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("session", write_sessions())
def test_every_readme_write_session_runs_as_printed(session: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    # Every curl fails the script on a status of 400 or more (and prints what it got), `set -e` stops it there.
    with serve(data) as base_url:
        script = _HOST.sub(base_url, session).replace("curl ", "curl --fail-with-body ")
        env = {**os.environ, "TECHSOV_DATA_DIR": str(data),
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
        env.pop("DATABASE_URL", None)
        finished = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script], env=env, cwd=tmp_path, capture_output=True, timeout=120
        )
    output = finished.stdout.decode()
    assert finished.returncode == 0, output[-3000:] + finished.stderr.decode()[-3000:]
    assert '"by":"newsroom-desk"' in output
    assert '{"field":"said_on","from":"2025-04-27","to":"2025-04-26"}' in output
    assert output.rstrip().endswith("}")
    assert '"version":1,"action":"created"' in output
