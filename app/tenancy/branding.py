"""A tenant's brand: name, logo, favicon, colours, sign-in message and theme."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from app.assets import content_version
from app.errors import ValidationError
from app.tenancy.colours import AA_TEXT, contrast_ratio, nearest_passing, normalise
from app.tenancy.models import Tenant
from app.tenancy.themes import Theme, get_theme

LOGO_MAX_BYTES = 1_000_000
LOGO_MAX_SIDE = 2000
FAVICON_MAX_BYTES = 300_000
FAVICON_SIZE = 64
IMAGE_FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp")}
SIGN_IN_MESSAGE_MAX = 500
# What /favicon.ico answers for a tenant (or the console) without a favicon of its own.
DEFAULT_FAVICON = Path(__file__).resolve().parent.parent / "static" / "img" / "favicon.png"


@dataclass
class ColourCheck:
    """How a brand colour reads against the theme's backgrounds."""

    field: str
    colour: str
    ratio: float
    suggestion: str | None

    @property
    def ok(self) -> bool:
        return self.ratio >= AA_TEXT


def colour_backgrounds(theme: Theme, field: str) -> list[str]:
    # The primary colour is link and nav text on the page and on the header surface;
    # the accent colour is heading text on the page.
    if field == "primary":
        return [theme.background, theme.surface]
    return [theme.background]


def check_colour(theme: Theme, field: str, colour: str) -> ColourCheck:
    backgrounds = colour_backgrounds(theme, field)
    ratio = min(contrast_ratio(colour, bg) for bg in backgrounds)
    suggestion = None if ratio >= AA_TEXT else nearest_passing(colour, backgrounds)
    return ColourCheck(field=field, colour=colour, ratio=ratio, suggestion=suggestion)


def clean_colour(value: str, field: str, label: str, theme: Theme) -> str:
    colour = normalise(value or "")
    if colour is None:
        raise ValidationError(
            _("Enter the %(label)s as a hex colour such as #1d4ed8.", label=label), field=field
        )
    check = check_colour(theme, field, colour)
    if not check.ok:
        message = _(
            "%(colour)s gives text a contrast of only %(ratio).1f:1 on this theme's background; "
            "people with low vision could not read it. Text needs at least 4.5:1.",
            colour=colour,
            ratio=check.ratio,
        )
        if check.suggestion:
            message += " " + _(
                "The nearest colour that passes is %(suggestion)s.", suggestion=check.suggestion
            )
        raise ValidationError(message, field=field)
    return colour


def _read_image(data: bytes, *, field: str, max_bytes: int) -> Image.Image:
    if not data:
        raise ValidationError(_("The file is empty."), field=field)
    if len(data) > max_bytes:
        raise ValidationError(
            _(
                "The file is %(size)d KB; the limit is %(limit)d KB.",
                size=len(data) // 1000,
                limit=max_bytes // 1000,
            ),
            field=field,
        )
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        raise ValidationError(
            _("SVG images are not accepted because they can carry scripts. Upload PNG, JPEG or WebP."),
            field=field,
        )
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError):
        raise ValidationError(
            _("That file is not a PNG, JPEG or WebP image, whatever its name says."), field=field
        ) from None
    if image.format not in IMAGE_FORMATS:
        raise ValidationError(_("Upload a PNG, JPEG or WebP image."), field=field)
    return image


def clean_logo(data: bytes) -> tuple[bytes, str]:
    """Check a logo upload and re-encode it (dropping metadata); return the bytes and extension."""
    image = _read_image(data, field="logo", max_bytes=LOGO_MAX_BYTES)
    width, height = image.size
    if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
        raise ValidationError(
            _(
                "The logo is %(w)d×%(h)d pixels; keep both sides at most %(max)d pixels.",
                w=width,
                h=height,
                max=LOGO_MAX_SIDE,
            ),
            field="logo",
        )
    if width < 16 or height < 16:
        raise ValidationError(_("The logo is too small; use at least 16×16 pixels."), field="logo")
    extension, _mime = IMAGE_FORMATS[str(image.format)]
    fmt = str(image.format)
    image.load()
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue(), extension


def clean_favicon(data: bytes) -> tuple[bytes, str]:
    """Check a favicon upload and return it as a 64×64 PNG."""
    image = _read_image(data, field="favicon", max_bytes=FAVICON_MAX_BYTES)
    if max(image.size) > 1024:
        raise ValidationError(
            _("Use an image of at most 1024 pixels a side for the favicon."), field="favicon"
        )
    image.load()
    image = image.convert("RGBA")
    image.thumbnail((FAVICON_SIZE, FAVICON_SIZE))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue(), "png"


def brand_version(tenant: Tenant | None) -> str:
    """A short hash of everything the brand's files are made of, for their URLs (``?v=``).

    It changes as soon as an admin changes the brand (colours, logo, favicon, theme), and when a deploy
    changes the theme's variables or Atrium's own favicon, so a URL it names never shows another file.
    """
    branding = (tenant.branding or {}) if tenant else {}
    theme = get_theme(tenant.theme if tenant else None)
    material = repr(
        (
            tenant.theme if tenant else None,
            sorted(branding.items()),
            sorted(theme.variables.items()),
            content_version(DEFAULT_FAVICON),
        )
    )
    return hashlib.sha256(material.encode()).hexdigest()[:12]
