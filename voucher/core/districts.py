"""Guangzhou's districts (notice attachment 1), keyed by administrative code.

萝岗区 was merged into 黄埔区 in 2014; the notice's form still lists it, so it is accepted as a
historical alias and stored as 黄埔区.
"""

from __future__ import annotations

DISTRICTS: dict[str, str] = {
    "440103": "荔湾区",
    "440104": "越秀区",
    "440105": "海珠区",
    "440106": "天河区",
    "440111": "白云区",
    "440112": "黄埔区",
    "440113": "番禺区",
    "440114": "花都区",
    "440115": "南沙区",
    "440117": "从化区",
    "440118": "增城区",
}

HISTORICAL_ALIASES: dict[str, str] = {"萝岗区": "440112", "440116": "440112"}


def district_code(value: str) -> str | None:
    """Map a district name (with or without 区) or code to its current code, or None."""
    text = value.strip()
    if text in DISTRICTS:
        return text
    if text in HISTORICAL_ALIASES:
        return HISTORICAL_ALIASES[text]
    name = text if text.endswith("区") else text + "区"
    for code, known in DISTRICTS.items():
        if known == name:
            return code
    return HISTORICAL_ALIASES.get(name)


def district_name(code: str | None) -> str:
    """The district's name for display; empty for None."""
    if not code:
        return ""
    return DISTRICTS.get(code, code)
