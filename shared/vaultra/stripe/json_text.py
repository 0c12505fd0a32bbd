"""Reading JSON text from outside without letting it choose the cost. Pure.

Python's `json` recurses once per nesting level: a body nested 10,000 deep raises RecursionError
(and deeper still can exhaust the C stack) before any check of ours runs. So the depth is measured
first, by a scan that does not recurse, and only text within the limit is parsed. The standard
parser also accepts `NaN` and `Infinity`, which are not JSON and which PostgreSQL's jsonb refuses:
they are refused here.
"""

from __future__ import annotations

import gc
import json
import re
from itertools import accumulate
from typing import Any

# A JSON string literal, escapes included.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Outside strings only brackets matter; `bytes.translate` drops the rest in one pass in C.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class InvalidJson(ValueError):
    """Text that is not JSON, nests too deep, or holds a non-finite number literal. The message
    completes a sentence about the text: "… is not JSON: …", "… nests 70 levels deep, …"."""


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in `text`, without parsing or recursing.

    Brackets inside string literals do not count. For text that is not valid JSON the figure may
    be off, but never below the depth the parser would reach before it finds the text invalid:
    the parser meets the same strings, left to right.
    """
    outside_strings = _STRING.sub("", text).encode("utf-8", "surrogatepass")
    brackets = outside_strings.translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def _refuse_constant(name: str) -> Any:
    raise InvalidJson(f"is not JSON: `{name}` is not a JSON number")


def load_json(text: str, *, max_depth: int) -> Any:
    """Parse `text` as strict JSON nested at most `max_depth` deep, or raise InvalidJson."""
    depth = nesting_depth(text)
    if depth > max_depth:
        raise InvalidJson(f"nests {depth} levels deep, expected at most {max_depth}")
    # Parsed JSON is acyclic, yet a body of many small containers (1 MiB of `[]`) would make the
    # cycle collector rescan the whole heap again and again while it is built: ~300 ms instead
    # of ~15 ms. It pauses meanwhile (and resumes only if it was running: threads may overlap).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except InvalidJson:
        raise
    except ValueError as exc:  # JSONDecodeError, or an integer beyond Python's digit limit
        raise InvalidJson(f"is not JSON: {str(exc)[:200]}") from None
    finally:
        if collecting:
            gc.enable()
