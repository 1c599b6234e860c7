"""The CJK font for printouts: configured, found on this machine, or ReportLab's STSong-Light.

xhtml2pdf embeds a TrueType font named by an ``@font-face`` rule. A collection (``.ttc``) works,
its first face is used. A font with CFF (PostScript) outlines, such as ``NotoSansCJK*.ttc``,
does not, so it is skipped. With no usable file the CID font STSong-Light is used: every PDF
reader knows it, but it is not embedded, so the printout looks a little different per reader.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

CID_FALLBACK = "STSong-Light"
SUFFIXES = (".ttf", ".ttc")
CFF_NAMES = ("notosanscjk", "notoserifcjk", "sourcehansans", "sourcehanserif")


class PrintError(Exception):
    """A printout that cannot be produced correctly (bad font, missing glyph, render error)."""


def default_candidates() -> list[Path]:
    """The font files to try, best first: WenQuanYi, AR PL (Arphic), then Windows fonts."""
    linux = Path("/usr/share/fonts/truetype")
    arphic = linux / "arphic"
    windows = Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts"
    found = [
        linux / "wqy" / "wqy-microhei.ttc",
        linux / "wqy" / "wqy-zenhei.ttc",
        arphic / "uming.ttc",
        arphic / "ukai.ttc",
    ]
    if arphic.is_dir():
        found += sorted(p for p in arphic.iterdir() if p.suffix.lower() in SUFFIXES)
    found += [windows / "msyh.ttc", windows / "simsun.ttc", windows / "simhei.ttf"]
    return list(dict.fromkeys(found))


def _first_face_tables(path: Path) -> tuple[bytes, set[bytes]]:
    """The sfnt version tag and table tags of the first face in a .ttf or .ttc file."""
    with open(path, "rb") as fh:
        head = fh.read(16)
        offset = struct.unpack(">I", head[12:16])[0] if head[:4] == b"ttcf" else 0
        fh.seek(offset)
        version, count = struct.unpack(">4sH", fh.read(6))
        fh.seek(offset + 12)
        records = fh.read(16 * count)
    return version, {records[i : i + 4] for i in range(0, len(records), 16)}


def unusable_reason(path: Path) -> str | None:
    """Why `path` cannot be embedded by xhtml2pdf, or None if it is a TrueType-outline font."""
    if not path.is_file():
        return "file not found"
    if path.suffix.lower() not in SUFFIXES:
        return "not a .ttf or .ttc file"
    if any(name in path.name.lower().replace("-", "") for name in CFF_NAMES):
        return "CFF outlines (Noto/Source Han CJK) cannot be embedded"
    try:
        version, tables = _first_face_tables(path)
    except (OSError, struct.error):
        return "not a readable font file"
    if version == b"OTTO" or tables & {b"CFF ", b"CFF2"}:
        return "CFF outlines cannot be embedded"
    if b"glyf" not in tables or b"cmap" not in tables:
        return "no TrueType outlines"
    return None


def find_font_file(configured: str = "", candidates: Iterable[Path] | None = None) -> Path | None:
    """The configured font file if set (PrintError if unusable), else the first usable one."""
    if configured:
        path = Path(configured).expanduser()
        reason = unusable_reason(path)
        if reason:
            raise PrintError(f'[printing] font "{configured}": {reason}')
        return path.resolve()
    for path in default_candidates() if candidates is None else candidates:
        if unusable_reason(Path(path)) is None:
            return Path(path).resolve()
    return None


@dataclass(frozen=True)
class PrintFont:
    """The font a printout is set in: an embedded TrueType file, or the CID fallback."""

    family: str
    path: Path | None = None

    @property
    def root(self) -> Path | None:
        """The folder xhtml2pdf must be allowed to read the font from (None for CID)."""
        return self.path.parent if self.path else None

    def css(self) -> str:
        """The @font-face rule that embeds the font (empty for the built-in CID font)."""
        if self.path is None:
            return ""
        return f'@font-face {{ font-family: "{self.family}"; src: url("{self.path.as_posix()}"); }}'

    def missing(self, text: str) -> list[str]:
        """The distinct characters of `text` (whitespace aside) this font has no glyph for."""
        seen: dict[str, None] = {}
        for char in text:
            if not char.isspace() and char not in seen and not self.has_glyph(char):
                seen[char] = None
        return list(seen)

    def has_glyph(self, char: str) -> bool:
        """Whether the font can draw `char`."""
        if self.path is None:
            # STSong-Light (Adobe-GB1) covers GBK; its cmap is not readable here.
            try:
                char.encode("gbk")
            except UnicodeEncodeError:
                return False
            return True
        face = pdfmetrics.getFont(f"{self.family}_00").face
        return ord(char) in face.charToGlyph


@lru_cache(maxsize=8)
def load_font(path: Path | None) -> PrintFont:
    """Register `path` with ReportLab (the CID fallback for None) and describe it for CSS."""
    if path is None:
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
        return PrintFont(family=CID_FALLBACK)
    family = "cjk" + hashlib.md5(str(path).encode()).hexdigest()[:10]
    # xhtml2pdf names an @font-face face "<family>_<bold><italic>" and reuses a font
    # already registered under that name, so the file is parsed once per process.
    try:
        face = TTFont(f"{family}_00", str(path), subfontIndex=0)
    except Exception as exc:  # ReportLab raises TTFError or struct/OS errors
        raise PrintError(f'font "{path}" cannot be used: {exc}') from exc
    pdfmetrics.registerFont(face)
    return PrintFont(family=family, path=path)


def current_font() -> PrintFont:
    """The printout font for the running config ([printing] font, else auto-detected)."""
    import rules

    return load_font(find_font_file(rules.settings().printing.font))
