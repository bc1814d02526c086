"""Importing WeasyPrint without the slow library search.

WeasyPrint opens its C libraries by trying several names each, Windows and generic ones first
('libpango-1.0-0', 'pango-1.0', …) and the Linux soname ('libpango-1.0.so.0') after them. For
every name that is not a loadable file, cffi asks `ctypes.util.find_library`, which on Linux
runs ldconfig, then gcc and ld: about 40 processes and 0.3-0.45 s per import, measured, paid by
every render worker and on the report command's critical path. The sonames are what the loader
finds, so the search is switched off while WeasyPrint is imported; if anything it needs is then
missing, it is imported again the usual way, so the outcome never differs.
"""

from __future__ import annotations

import ctypes.util
import sys


def _forget_weasyprint() -> None:
    for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
        del sys.modules[name]


def load_weasyprint() -> None:
    """Import WeasyPrint (once per process), skipping `find_library` where the soname works."""
    if "weasyprint" in sys.modules:
        return
    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        import weasyprint  # noqa: F401
        from weasyprint.text import ffi

        complete = ffi.harfbuzz_subset is not None
    except OSError:
        complete = False
    finally:
        ctypes.util.find_library = search
    if not complete:  # let WeasyPrint search as it normally does (and fail as it would)
        _forget_weasyprint()
        import weasyprint  # noqa: F401, F811
