"""Where the program finds the files that ship beside the code (vocab/ and schemas/).

They live at the top of the checkout, as the design card fixes; an operator who installs elsewhere
points SPORTNODE_HOME at the checkout.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    home = os.environ.get("SPORTNODE_HOME")
    return Path(home) if home else Path(__file__).resolve().parents[1]


def vocab_dir() -> Path:
    return project_root() / "vocab"


def schemas_dir() -> Path:
    return project_root() / "schemas"


def areas_dir() -> Path:
    return vocab_dir() / "areas"
