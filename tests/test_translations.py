"""The English interface is complete: every Dutch text of the templates and code has an English one in
node/web/locale/en/LC_MESSAGES/messages.po, with the same placeholders (`make translations` lists gaps)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("translations_tool", ROOT / "tools" / "translations.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _catalogue():  # type: ignore[no-untyped-def]
    with (ROOT / "node" / "web" / "locale" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale="en")


def _names(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def test_every_dutch_text_has_an_english_one() -> None:
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in _tool().extract() if m.id}
    catalogue = _catalogue()
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and (m.string if isinstance(m.string, str) else m.string and all(m.string))
    }
    missing = sorted(extracted - translated)
    assert not missing, f"{len(missing)} texts without English (run `make translations`): {missing[:10]}"


def test_translations_keep_their_placeholders() -> None:
    wrong = []
    for message in _catalogue():
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        wanted = set().union(*(_names(i) for i in ids)) - {"num"}
        for string in strings:
            if _names(string) - {"num"} != wanted:
                wrong.append((ids[0], string))
    assert not wrong, wrong[:10]
