"""Logos and screenshots: checked by content, re-encoded with Pillow, size-limited.

Re-encoding keeps only pixels: no metadata (EXIF locations), no trailing payload
(polyglots), no animation. Decompression bombs are refused before decoding.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from catalogue.errors import ValidationFailed

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000  # decoded size limit, well above any real screenshot
ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP"}


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int


def clean_image(data: bytes, *, field: str, max_side: int, min_side: int = 16,
                keep_alpha: bool = True) -> CleanImage:
    """Check an uploaded image and re-encode it (PNG with transparency, else JPEG).

    Raises ValidationFailed naming ``field`` with a French message.
    """
    def fail(message: str) -> ValidationFailed:
        return ValidationFailed(message, errors={field: message})

    if not data:
        raise fail("Le fichier est vide.")
    if len(data) > MAX_IMAGE_BYTES:
        raise fail(f"L'image dépasse {MAX_IMAGE_BYTES // (1024 * 1024)} Mo.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise fail("Formats d'image acceptés : PNG, JPEG ou WebP.")
                width, height = probe.size
                if width * height > MAX_PIXELS:
                    raise fail("L'image compte trop de pixels.")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = image.copy()
    except ValidationFailed:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise fail("L'image compte trop de pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise fail("Ce fichier n'est pas une image lisible (PNG, JPEG ou WebP).") from None
    if min(image.size) < min_side:
        raise fail(f"L'image doit mesurer au moins {min_side} pixels de côté.")
    image.thumbnail((max_side, max_side))
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    out = io.BytesIO()
    if keep_alpha and has_alpha:
        image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
        content_type = "image/png"
    else:
        image = image.convert("RGB")
        image.save(out, format="JPEG", quality=85, optimize=True)
        content_type = "image/jpeg"
    return CleanImage(out.getvalue(), content_type, image.width, image.height)
