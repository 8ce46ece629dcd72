"""Colour contrast by WCAG 2.2 (relative luminance, contrast ratio) and a nearest passing colour."""

from __future__ import annotations

import colorsys
import re

HEX_RE = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
AA_TEXT = 4.5


def parse_hex(value: str) -> tuple[int, int, int] | None:
    """Return (r, g, b) for '#rrggbb' or '#rgb', or None when it is not a colour."""
    match = HEX_RE.match(value.strip())
    if not match:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def normalise(value: str) -> str | None:
    rgb = parse_hex(value)
    return to_hex(rgb) if rgb else None


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """Contrast ratio between two hex colours, from 1 to 21."""
    rgb_a, rgb_b = parse_hex(a), parse_hex(b)
    if rgb_a is None or rgb_b is None:
        raise ValueError("not a colour")
    la, lb = relative_luminance(rgb_a), relative_luminance(rgb_b)
    lighter, darker = max(la, lb), min(la, lb)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text_on(background: str) -> str:
    """Return near-black or white, whichever reads better on *background*."""
    dark, light = "#111111", "#ffffff"
    return dark if contrast_ratio(background, dark) >= contrast_ratio(background, light) else light


def passes(colour: str, backgrounds: list[str], minimum: float = AA_TEXT) -> bool:
    return all(contrast_ratio(colour, bg) >= minimum for bg in backgrounds)


def nearest_passing(colour: str, backgrounds: list[str], minimum: float = AA_TEXT) -> str | None:
    """Return the passing colour of the same hue and saturation whose lightness is closest."""
    rgb = parse_hex(colour)
    if rgb is None:
        return None
    h, lightness, s = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    for step in range(1, 201):
        delta = step / 200
        for candidate_l in (lightness - delta, lightness + delta):
            if not 0 <= candidate_l <= 1:
                continue
            r, g, b = colorsys.hls_to_rgb(h, candidate_l, s)
            candidate = to_hex((round(r * 255), round(g * 255), round(b * 255)))
            if passes(candidate, backgrounds, minimum):
                return candidate
    return None
