"""Thumbnails with Pillow, only from allow-listed image formats and within pixel, frame and time limits.

Decoding untrusted images is the riskiest thing a media repository does, so: the decoder is chosen by
the allowlist (not by the declared type), the pixel count is checked from the header before any pixel
is decoded, Pillow's decompression-bomb warning is an error, and the work runs in a worker thread
under a timeout and a concurrency cap so a hostile image cannot stall the event loop.
"""

from __future__ import annotations

import asyncio
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence

# Declared content type -> the only Pillow decoder allowed to open it.
THUMBNAIL_SOURCE_TYPES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}
ANIMATED_FORMATS = {"GIF", "WEBP"}
MAX_DIMENSION = 1920
# Distinct thumbnail sizes cached per source file; past it, callers get a standard size.
MAX_CACHED_VARIANTS = 16


class ThumbnailError(Exception):
    """The source cannot be thumbnailed (corrupt, unsupported)."""


class ThumbnailTooLarge(ThumbnailError):
    """The source exceeds the pixel limit (decompression bomb) or took too long."""


@dataclass(frozen=True)
class ThumbnailSpec:
    width: int
    height: int
    method: str  # "scale" or "crop"
    animated: bool

    def file_name(self, extension: str) -> str:
        return f"{self.width}x{self.height}-{self.method}-{'a' if self.animated else 's'}.{extension}"


@dataclass(frozen=True)
class Thumbnail:
    path: Path
    content_type: str


_EXTENSION_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}


def target_size(source: tuple[int, int], spec: ThumbnailSpec) -> tuple[int, int]:
    """The output size: `scale` fits inside the box keeping the aspect; `crop` fills it exactly. No upscaling."""
    src_w, src_h = source
    if spec.method == "crop":
        return min(spec.width, src_w), min(spec.height, src_h)
    if src_w <= spec.width and src_h <= spec.height:
        return src_w, src_h
    if spec.width * src_h < spec.height * src_w:
        return spec.width, max(1, src_h * spec.width // src_w)
    return max(1, src_w * spec.height // src_h), spec.height


def _resize(frame: Image.Image, size: tuple[int, int], method: str) -> Image.Image:
    if method == "crop":
        return ImageOps.fit(frame, size, Image.Resampling.LANCZOS)
    return frame.resize(size, Image.Resampling.LANCZOS)


class Thumbnailer:
    def __init__(self, *, max_pixels: int, max_frames: int, timeout_seconds: float, concurrency: int = 2) -> None:
        self.max_pixels = max_pixels
        self.max_frames = max_frames
        self.timeout_seconds = timeout_seconds
        self._slots = asyncio.Semaphore(concurrency)
        # Pillow warns past MAX_IMAGE_PIXELS and errors past twice that; make both an error.
        Image.MAX_IMAGE_PIXELS = max_pixels
        warnings.simplefilter("error", Image.DecompressionBombWarning)

    @staticmethod
    def can_thumbnail(content_type: str) -> bool:
        return content_type in THUMBNAIL_SOURCE_TYPES

    async def thumbnail(self, source: Path, content_type: str, cache_dir: Path, spec: ThumbnailSpec) -> Thumbnail:
        cached = _find_cached(cache_dir, spec)
        if cached is not None:
            return cached
        async with self._slots:
            cached = _find_cached(cache_dir, spec)
            if cached is not None:
                return cached
            work = asyncio.to_thread(self._make, source, THUMBNAIL_SOURCE_TYPES[content_type], cache_dir, spec)
            try:
                return await asyncio.wait_for(work, self.timeout_seconds)
            except TimeoutError as exc:
                raise ThumbnailTooLarge("Thumbnailing took too long") from exc

    def _make(self, source: Path, decoder: str, cache_dir: Path, spec: ThumbnailSpec) -> Thumbnail:
        try:
            data, extension = self._render(source, decoder, spec)
        except ThumbnailError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ThumbnailTooLarge("Image has too many pixels") from exc
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            # Pillow reports corrupt or truncated images with these.
            raise ThumbnailError("Cannot read this image") from exc
        cache_dir.mkdir(parents=True, exist_ok=True)
        path = cache_dir / spec.file_name(extension)
        temp = cache_dir / f".{os.getpid()}.{id(data)}.tmp"
        temp.write_bytes(data)
        os.replace(temp, path)
        return Thumbnail(path, _EXTENSION_TYPES[extension])

    def _render(self, source: Path, decoder: str, spec: ThumbnailSpec) -> tuple[bytes, str]:
        with Image.open(source, formats=[decoder]) as image:
            width, height = image.size
            if width * height > self.max_pixels:
                raise ThumbnailTooLarge("Image has too many pixels")
            frames = getattr(image, "n_frames", 1)
            animate = spec.animated and decoder in ANIMATED_FORMATS and 1 < frames <= self.max_frames
            if animate and width * height * frames > self.max_pixels * 4:
                animate = False
            size = target_size((width, height), spec)
            out = io.BytesIO()
            if animate:
                resized = [_resize(frame.convert("RGBA"), size, spec.method) for frame in ImageSequence.Iterator(image)]
                extension = "gif" if decoder == "GIF" else "webp"
                resized[0].save(
                    out,
                    format=decoder,
                    save_all=True,
                    append_images=resized[1:],
                    loop=image.info.get("loop", 0),
                    duration=image.info.get("duration", 100),
                )
                return out.getvalue(), extension
            image.seek(0)
            frame = ImageOps.exif_transpose(image) if decoder == "JPEG" else image
            if decoder == "JPEG":
                # Re-encoding also drops the metadata (EXIF location and the like) of the original.
                rgb = frame.convert("RGB") if frame.mode not in ("RGB", "L") else frame
                _resize(rgb, size, spec.method).save(out, format="JPEG", quality=85)
                return out.getvalue(), "jpg"
            converted = frame.convert("RGBA") if frame.mode not in ("1", "L", "LA", "RGB", "RGBA") else frame
            _resize(converted, size, spec.method).save(out, format="PNG", optimize=False)
            return out.getvalue(), "png"


def _find_cached(cache_dir: Path, spec: ThumbnailSpec) -> Thumbnail | None:
    for extension, content_type in _EXTENSION_TYPES.items():
        path = cache_dir / spec.file_name(extension)
        if path.exists():
            return Thumbnail(path, content_type)
    return None


def cached_variant_count(cache_dir: Path) -> int:
    try:
        return sum(1 for entry in cache_dir.iterdir() if not entry.name.startswith("."))
    except FileNotFoundError:
        return 0
