"""Text for a terminal: names and messages from the user's documents, shown as they are."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (escape sequences, line breaks in a
    name) become U+FFFD, so a name can neither restyle the terminal nor break a table row."""
    return _CONTROL.sub("\ufffd", text)
