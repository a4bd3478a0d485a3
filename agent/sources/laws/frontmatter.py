"""SE-Lex files: the YAML front matter and the errors for files that hold no usable statute."""

from __future__ import annotations

import re
from typing import Any

import yaml

STUB_MARKER = "Automatisk konvertering inte tillgänglig"

try:  # libyaml is ~10x faster; fall back to the pure-Python loader
    YAML_LOADER: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    YAML_LOADER = yaml.SafeLoader

_FRONT_MATTER_RE = re.compile(r"\A---\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)


class StubLawError(ValueError):
    """The SE-Lex file is a stub ("Automatisk konvertering inte tillgänglig") with no statute text."""


class LawFormatError(ValueError):
    """The file does not look like an SE-Lex statute (missing front matter, beteckning or rubrik)."""


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _loose_front_matter(front: str) -> dict[str, Any]:
    """Line-based fallback for front matter that is not valid YAML (top-level keys and the
    `andringsforfattningar` list of flat mappings)."""
    meta: dict[str, Any] = {}
    changes: list[dict[str, str]] = []
    for line in front.splitlines():
        top = re.match(r"^([a-z_]+):\s*(.*)$", line)
        item = re.match(r"^\s*-\s+([a-z_]+):\s*(.*)$", line)
        sub = re.match(r"^\s+([a-z_]+):\s*(.*)$", line)
        if top:
            meta[top.group(1)] = _unquote(top.group(2)) if top.group(2) else None
        elif item:
            changes.append({item.group(1): _unquote(item.group(2))})
        elif sub and changes:
            changes[-1][sub.group(1)] = _unquote(sub.group(2))
    if changes:
        meta["andringsforfattningar"] = changes
    return meta


def front_matter_sfs(front: str) -> str:
    """`beteckning` read as text: YAML 1.1 would turn an unquoted `2009:47` into the integer 120587."""
    m = re.search(r"^beteckning:[ \t]*[\"']?([^\"'\n]*?)[\"']?[ \t]*$", front, re.M)
    return m.group(1).strip() if m else ""


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Return (front matter dict, body). Raises LawFormatError if there is no front matter."""
    m = _FRONT_MATTER_RE.match(text)
    if not m:
        raise LawFormatError("no YAML front matter")
    try:
        meta = yaml.load(m.group(1), Loader=YAML_LOADER) or {}
    except yaml.YAMLError:
        meta = _loose_front_matter(m.group(1))  # a few archive files have unquoted ':' in titles
    if not isinstance(meta, dict):
        raise LawFormatError("front matter is not a mapping")
    meta["beteckning"] = front_matter_sfs(m.group(1))
    return meta, text[m.end() :]


def meta_str(meta: dict[str, Any], key: str) -> str:
    """A front-matter value as stripped text, "" if absent."""
    value = meta.get(key)
    return "" if value is None else str(value).strip()
