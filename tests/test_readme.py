"""The README's "Writing needs a token" lines, run as a reader pastes them: a new node, a token, a POST.

The lines run in bash in a fresh folder (with `.venv` linked to this checkout's), on a free port in place
of 8091, so neither the demo nor anything else on the machine matters. The node they start in the
background is stopped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from pathlib import Path

from test_demo_node import free_port

ROOT = Path(__file__).resolve().parents[1]
README_PORT = "8091"


def writing_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text.split("Writing needs a token.", 1)[1]
    found = re.search(r"```sh\n(.*?)```", after, re.S)
    assert found, "README.md has no shell block after 'Writing needs a token.'"
    return found.group(1)


def test_the_block_sets_what_it_uses_and_names_one_port() -> None:
    block = writing_block()
    assert "ORG_TOKEN=" in block.split("$ORG_TOKEN", 1)[0], "ORG_TOKEN is used before it is set"
    ports = set(re.findall(r"127\.0\.0\.1:(\d+)", block))
    assert ports == {README_PORT}, f"the block uses ports {ports}; init, serve and curl must agree"


def test_the_writing_lines_work_when_pasted(tmp_path: Path) -> None:
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    port = str(free_port())
    script = "set -euo pipefail\n" + writing_block().replace(README_PORT, port)
    log = tmp_path / "out.txt"
    with log.open("w") as out:
        # Its own session: the node the lines start with `&` is in bash's process group, stopped below.
        shell = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True, env={**os.environ, "SPORTNODE_CONFIG": ""})
        try:
            code = shell.wait(120)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGTERM)
    output = log.read_text(encoding="utf-8")
    assert code == 0, output
    assert re.search(r"^HTTP/1\.1 201 Created", output, re.M), output
    assert f"Location: http://127.0.0.1:{port}/places/" in output, output
