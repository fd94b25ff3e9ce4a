"""Text made safe to put in an XML 1.0 document, and timestamps in the one form the feeds write.

ElementTree escapes markup characters but writes control characters as they are, which makes the document
unparsable; text from peers may carry any of them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Characters XML 1.0 does not allow anywhere (section 2.2), and the surrogates a bad decoder may leave.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", text)


def rfc3339(value: object) -> str | None:
    """A timestamp with a time zone as RFC 3339 in UTC (`2025-12-08T09:30:00Z`); None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
