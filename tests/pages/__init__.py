"""The browser tests. A package so that its conftest.py is imported as `pages.conftest` and does not
replace tests/conftest.py as the module `conftest` (which test modules import helpers from).

Its folder is also put on sys.path, so the helpers are imported as `browser` and `pages_federation`
(always by those names, never as `pages.browser`: one module, one set of recorded requests).
"""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
