"""Streaming XML for the XES and OCEL XML readers: callbacks per element, with the line each one starts on.

The file is fed to expat (the parser beneath :mod:`xml.etree.ElementTree`) in blocks and no tree is built,
so memory stays flat whatever the file's size, and every start tag is reported with its 1-based line, which
is what an error message about a bad element must name. Gzipped files are read transparently (by their
magic bytes, not their name). External entities are never fetched.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast
from xml.parsers import expat

from ...errors import SourceError

__all__ = ["stream_xml", "open_source", "local_name", "check_file"]

#: Called at each start tag with the element's local name, its attributes and the line of the tag.
StartHandler = Callable[[str, dict[str, str], int], None]
#: Called at each end tag with the element's local name and the text it holds (stripped of nothing).
EndHandler = Callable[[str, str], None]

_GZIP_MAGIC = b"\x1f\x8b"
_BLOCK = 1 << 20


def check_file(source: Any, what: str) -> Path:
    """``source`` as a path to an existing file, or a :class:`SourceError` saying why not."""
    if not isinstance(source, (str, os.PathLike)):
        raise SourceError(f"a {what} source must be a file path, not {type(source).__name__}")
    path = Path(source)
    if not path.is_file():
        where = "is a directory" if path.is_dir() else "does not exist"
        raise SourceError(f"{path}: file {where} (working directory: {Path.cwd()})")
    return path


def open_source(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when it is gzipped."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    return cast(IO[bytes], gzip.open(path, "rb") if magic == _GZIP_MAGIC else open(path, "rb"))


def local_name(name: str) -> str:
    """``xes:event`` -> ``event``: elements are matched by their local name, whatever prefix a writer used."""
    return name.rpartition(":")[2]


def stream_xml(path: Path, start: StartHandler, end: EndHandler) -> None:
    """Parse ``path`` with expat, calling ``start`` and ``end`` for every element.

    Raises
    ------
    SourceError
        The file is not well-formed XML (the message names the line and column expat stopped at), or a
        gzipped file is damaged. Errors raised by the handlers propagate unchanged.
    """
    parser = expat.ParserCreate()
    parser.buffer_text = True
    text: list[str] = []

    def on_start(name: str, attrs: dict[str, str]) -> None:
        text.clear()
        start(local_name(name), attrs, parser.CurrentLineNumber)

    def on_end(name: str) -> None:
        end(local_name(name), "".join(text))
        text.clear()

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.CharacterDataHandler = text.append
    try:
        with open_source(path) as handle:
            while block := handle.read(_BLOCK):
                parser.Parse(block, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise SourceError(f"{path}, line {exc.lineno}, column {exc.offset + 1}: not well-formed XML "
                          f"({expat.ErrorString(exc.code)})") from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise SourceError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None
