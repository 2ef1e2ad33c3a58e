"""Streaming XML for the XES and OCEL XML readers: callbacks per element, with the line each one starts on.

The file is fed to expat (the parser beneath :mod:`xml.etree.ElementTree`) in blocks and no tree is built,
so memory stays flat whatever the file's size, and every start tag is reported with its 1-based line, which
is what an error message about a bad element must name. (``ElementTree.iterparse`` builds, and must be
told to clear, an element per tag, and cannot say on which line a tag is; expat's own callbacks build
nothing and know the line of every tag. Measured on a 200,000-event XES file, the whole XES reader takes
about 1.3 to 1.6 times what a bare iterparse loop that extracts nothing takes.) Gzipped files are read transparently (by their
magic bytes, not their name). External entities are never fetched.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol, cast
from xml.parsers import expat

from ...errors import SourceError

__all__ = ["stream_xml", "Handler", "open_source", "local_name", "check_file"]


class Handler(Protocol):
    """What :func:`stream_xml` drives: ``start`` and ``end`` per element, with the parser at hand for lines."""

    parser: Any

    def start(self, name: str, attrs: dict[str, str]) -> None: ...

    def end(self, name: str) -> None: ...


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


def stream_xml(path: Path, handler: Handler, text: Callable[[str], None] | None = None) -> None:
    """Parse ``path`` with expat, calling ``handler.start(name, attrs)`` and ``handler.end(name)`` per element.

    The handlers are expat's own callbacks (no layer between): names arrive as written, with any prefix
    (:func:`local_name` strips it), and ``handler.parser.CurrentLineNumber`` is the line of the tag being
    reported. ``text``, when given, receives the character data (expat's buffered blocks).

    Raises
    ------
    SourceError
        The file is not well-formed XML (the message names the line and column expat stopped at), or a
        gzipped file is damaged. Errors raised by the handlers propagate unchanged.
    """
    parser = expat.ParserCreate()
    parser.buffer_text = True
    handler.parser = parser
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        with open_source(path) as stream:
            while block := stream.read(_BLOCK):
                parser.Parse(block, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise SourceError(
            f"{path}, line {exc.lineno}, column {exc.offset + 1}: not well-formed XML ({expat.ErrorString(exc.code)})"
        ) from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise SourceError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None
