"""Arithmetic as people type it, rewritten into one plain form the tokenizer reads.

Thousands separators (comma, space, thin space), the Unicode minus and the en dash, multiplication and division
signs (``×``, ``·``, ``÷``), Unicode fractions (``½``), mixed numbers (``2 1/2``, ``1 and 1/3``), thousands written ``280k``, leading-dot
decimals (``.20``) and currency signs all become plain ASCII arithmetic.

Example:
    >>> plain_arithmetic("$.20 × 1 000 − 2½ ÷ 3 1/4")
    '0.20 * 1000 - (2+1/2) / (3+1/4)'
"""

from __future__ import annotations

import re

_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-", "×": "*", "·": "*", "⋅": "*", "∗": "*", "÷": "/", "⁄": "/", "≈": "="})
_VULGAR = {"½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅕": "1/5", "⅖": "2/5", "⅗": "3/5",
           "⅘": "4/5", "⅙": "1/6", "⅚": "5/6", "⅛": "1/8", "⅜": "3/8", "⅝": "5/8", "⅞": "7/8"}
_GROUPED = re.compile(r"(?<![\d.])\d{1,3}(?:(?:[,\u2009\u202f\u00a0]\d{3})+(?!\d)|(?: \d{3})+(?![\d/]))")
_MIXED = re.compile(r"(?<![\d.)/])(\d+) (?:and )?(\d+)/(\d+)(?![\d/.])")
_THOUSANDS_SUFFIX = re.compile(r"(?<=\d)[kK]\b")
_LEADING_DOT = re.compile(r"(?<![\w.])\.(?=\d)")
_CURRENCY = re.compile(r"[$€£¥]|\\\$")


def plain_arithmetic(text: str) -> str:
    """``text`` with its arithmetic in plain ASCII (see the module docstring)."""
    text = _CURRENCY.sub("", text.translate(_SIGNS))
    text = re.sub(r"(\d)([½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞])", lambda m: f"({m.group(1)}+{_VULGAR[m.group(2)]})", text)
    text = re.sub("[" + "".join(_VULGAR) + "]", lambda m: f"({_VULGAR[m.group()]})", text)
    text = _GROUPED.sub(lambda m: re.sub(r"\D", "", m.group()), text)
    text = _MIXED.sub(_mixed_number, _THOUSANDS_SUFFIX.sub("000", text))
    return _LEADING_DOT.sub("0.", text)


def _mixed_number(match: re.Match) -> str:
    whole, numerator, denominator = match.groups()
    if 0 < int(numerator) < int(denominator):  # "2 1/2" is two and a half; "2 10/5" is not a mixed number
        return f"({whole}+{numerator}/{denominator})"
    if " and " in match.group():
        return f"{whole} and {numerator}/{denominator}"
    return match.group()
