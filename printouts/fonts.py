"""The fonts a printout is set in: a chain of embedded TrueType CJK fonts.

The chain is, in order:

1. the main font: ``[printing] font`` if set, else the first CJK font found on this machine
   (WenQuanYi, AR PL, then Windows' YaHei/SimSun/SimHei), unless ``[printing] system_fonts``
   is false;
2. the bundled fallback: Sarasa Mono SC (更纱黑体, SIL Open Font License), shipped by the PyPI
   package ``impaper`` pinned in requirements.txt. It covers GB 18030 with CJK Ext. A
   (刘䶮 U+4DAE), 堃, 喆, ¥ and Latin, so every printout prints with it alone.

The template names both families in one CSS ``font-family`` list, and xhtml2pdf (0.2.28) draws
each character with the first family on the list that has it (``split_by_coverage``), so a
character the main font lacks comes from the fallback, character by character. The fonts are
registered once per process (``load_font``), not by ``@font-face``: xhtml2pdf reads and hashes an
``@font-face`` file on every render, 36 ms of CPU for the 23 MB fallback. Every font is
embedded: ReportLab's CID fonts (STSong-Light) are not, so they are never used. A file with CFF
(PostScript) outlines, such as ``NotoSansCJK*.ttc``, cannot be embedded and is skipped.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from xhtml2pdf import default as xhtml2pdf_default

SUFFIXES = (".ttf", ".ttc")
CFF_NAMES = ("notosanscjk", "notoserifcjk", "sourcehansans", "sourcehanserif")
#: The bundled fallback: (PyPI package, file inside it, its name for people).
BUNDLED = ("impaper", "res/sarasa-mono-sc-regular.ttf", "Sarasa Mono SC")
#: A font "has Chinese" when it draws at least this many CJK Unified Ideographs (GB 2312's
#: level 1 alone is 3,755 characters).
MIN_HAN = 3500
HOW_TO_ADD = (
    "To add one: `sudo apt-get install fonts-wqy-microhei` (Debian/Ubuntu), or name a "
    'TrueType-outline .ttf/.ttc file with Chinese in config.toml: [printing] font = "/path".'
)


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


def bundled_font() -> Path | None:
    """The bundled fallback font file, or None if its package is not installed."""
    package, relative, _ = BUNDLED
    spec = importlib.util.find_spec(package)  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path.resolve() if path.is_file() else None


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


def _outline_reason(path: Path) -> str | None:
    """Why `path` is not a TrueType-outline font file, or None if it is one."""
    if not path.is_file():
        return "file not found"
    if path.suffix.lower() not in SUFFIXES:
        if path.suffix.lower() == ".otf":
            return "CFF outlines (.otf) cannot be embedded; use a .ttf or .ttc file"
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
        return "not a TrueType font file (no glyf/cmap tables)"
    return None


@lru_cache(maxsize=16)
def _han_count(path: Path, mtime: float) -> int:
    """How many CJK Unified Ideographs (U+4E00–U+9FFF) the font's first face draws."""
    cmap = TTFont("probe", str(path), subfontIndex=0).face.charToGlyph
    return sum(1 for code in cmap if 0x4E00 <= code <= 0x9FFF)


def unusable_reason(path: Path, cjk: bool = False) -> str | None:
    """Why `path` cannot be a print font, or None if it is a TrueType-outline font (that
    draws Chinese, with `cjk`)."""
    reason = _outline_reason(path)
    if reason or not cjk:
        return reason
    try:
        count = _han_count(path.resolve(), path.stat().st_mtime)
    except Exception:  # ReportLab raises TTFError or struct/OS errors
        return "not a readable font file"
    if count < MIN_HAN:
        return f"has no Chinese: {count} CJK characters, at least {MIN_HAN} are needed"
    return None


def find_font_file(
    configured: str = "", candidates: Iterable[Path] | None = None, system_fonts: bool = True
) -> Path | None:
    """The main font: the configured file if set (PrintError if unusable), else the first
    usable one installed on this machine (None if none, or `system_fonts` is false)."""
    if configured:
        path = Path(configured).expanduser()
        reason = unusable_reason(path, cjk=True)
        if reason:
            raise PrintError(f'[printing] font "{configured}": {reason}')
        return path.resolve()
    if not system_fonts:
        return None
    for path in default_candidates() if candidates is None else candidates:
        if unusable_reason(Path(path)) is None:
            return Path(path).resolve()
    return None


@dataclass(frozen=True)
class PrintFont:
    """One embedded TrueType font file of the chain."""

    family: str
    path: Path

    def has_glyph(self, char: str) -> bool:
        """Whether the font can draw `char`."""
        face = pdfmetrics.getFont(f"{self.family}_00").face
        return ord(char) in face.charToGlyph


@dataclass(frozen=True)
class FontChain:
    """The fonts a printout is set in, main font first; each character is drawn with the
    first one that has it."""

    fonts: tuple[PrintFont, ...]

    @property
    def family(self) -> str:
        """The CSS font-family list: every font of the chain, in order."""
        return ", ".join(f'"{font.family}"' for font in self.fonts)

    @property
    def base_name(self) -> str:
        """The main font's name in ReportLab."""
        return f"{self.fonts[0].family}_00"

    @property
    def names(self) -> str:
        return ", ".join(font.path.name for font in self.fonts)

    def missing(self, text: str) -> list[str]:
        """The distinct characters of `text` (whitespace aside) no font of the chain has."""
        seen: dict[str, None] = {}
        for char in text:
            if char.isspace() or char in seen:
                continue
            if not any(font.has_glyph(char) for font in self.fonts):
                seen[char] = None
        return list(seen)


@lru_cache(maxsize=8)
def load_font(path: Path) -> PrintFont:
    """Register `path` with ReportLab, once per process, as a family every xhtml2pdf document
    knows (as it knows Helvetica), so a render neither reads nor hashes the file again."""
    family = "cjk" + hashlib.md5(str(path).encode()).hexdigest()[:10]
    try:
        face = TTFont(f"{family}_00", str(path), subfontIndex=0)
    except Exception as exc:  # ReportLab raises TTFError or struct/OS errors
        raise PrintError(f'font "{path}" cannot be used: {exc}') from exc
    pdfmetrics.registerFont(face)
    # one face for every weight and style, under the CSS family and the face's own name
    for name in (family, face.fontName):
        pdfmetrics.registerFontFamily(name, *[face.fontName] * 4)
    xhtml2pdf_default.DEFAULT_FONT[family] = family
    return PrintFont(family=family, path=path)


def font_paths(configured: str = "", system_fonts: bool = True) -> list[Path]:
    """The chain's files: the main font (if any), then the bundled fallback."""
    fallback = bundled_font()
    if fallback is None:
        raise PrintError(
            f"the bundled fallback font ({BUNDLED[2]}, PyPI package {BUNDLED[0]}) is not "
            "installed: run `make install` (pip install -r requirements.txt)"
        )
    main = find_font_file(configured, system_fonts=system_fonts)
    return list(dict.fromkeys(p for p in (main, fallback) if p is not None))


def current_fonts() -> FontChain:
    """The printout fonts for the running config."""
    import rules

    printing = rules.settings().printing
    paths = font_paths(printing.font, printing.system_fonts)
    return FontChain(fonts=tuple(load_font(path) for path in paths))


def install_report(configured: str = "", system_fonts: bool = True) -> list[str]:
    """What `make install` says about the printing fonts (PrintError if printing cannot
    work)."""
    chain = font_paths(configured, system_fonts)
    name = BUNDLED[2]
    lines = [f"printing fonts: {' -> '.join(str(p) for p in chain)}"]
    if len(chain) == 1:
        lines += [
            "No CJK TrueType font is installed on this machine (none found, none configured):",
            f"printouts use only the bundled fallback font, {name} (monospaced).",
            HOW_TO_ADD,
        ]
    else:
        lines.append(f"main font {chain[0].name}; characters it lacks come from {name}.")
    return lines


def main() -> int:
    """Say which fonts printouts use (run by `make install`); 1 if printing cannot work."""
    from models import MODELS
    from rules.config import ConfigError, load_settings
    from tasks import JOBS

    try:
        path = os.environ.get("MINGCRM_CONFIG") or None
        printing = load_settings(path, models=MODELS, jobs=set(JOBS)).printing
        font, system_fonts = printing.font, printing.system_fonts
    except ConfigError as exc:  # reported by check-config; say what the defaults give
        print(f"printing fonts: config not valid ({'; '.join(exc.errors)}); by default:")
        font, system_fonts = "", True
    try:
        lines = install_report(font, system_fonts)
    except PrintError as exc:
        print(f"printing fonts: ERROR {exc}")
        return 1
    print("\n".join(lines))
    return 0
