"""Importing matplotlib without the parts the charts never use.

Importing the figure machinery (~1 CPU s) is on the report command's critical path: its chart
drawer imports it while its renderer loads WeasyPrint (cli.entry.start_report_helpers).
Two parts of that import do nothing for a chart, measured on this machine:

- ~0.25 CPU s: for every Artist subclass, matplotlib writes the docstring of its `set()` method
  by inspecting every setter and its documentation (`matplotlib.artist.kwdoc`, called from
  `Artist.__init_subclass__`), and `%(Line2D:kwdoc)s`-style docstring substitutions do the
  same. That text is only read by `help()`;
- ~0.08 CPU s: `matplotlib.projections` imports the 3-D toolkit (`mpl_toolkits.mplot3d`) to
  register the "3d" projection; the charts are all 2-D.

So while the modules the charts use are imported, `kwdoc` returns an empty text and the 3-D
toolkit is not imported; afterwards both are as before (classes defined later get their full
docstrings, and `import mpl_toolkits.mplot3d` still works). Drawing is unaffected: the
signatures of `set()` are still built, and the charts' SVG and PNG bytes are identical
(tests/unit/test_charts.py).
"""

from __future__ import annotations

import sys
import warnings

# What tracker.reporting.charts uses, the SVG backend included (imported at the first
# savefig(format="svg") otherwise).
MODULES = (
    "matplotlib.backends.backend_agg",
    "matplotlib.backends.backend_svg",
    "matplotlib.dates",
    "matplotlib.figure",
    "matplotlib.font_manager",
    "matplotlib.lines",
    "matplotlib.patches",
    "matplotlib.ticker",
)
_TOOLKIT_3D = "mpl_toolkits.mplot3d"


def _no_kwdoc(artist) -> str:
    return ""


def load_matplotlib() -> None:
    """Import MODULES (once per process) without writing `set()` docstrings and without the
    3-D toolkit."""
    if all(name in sys.modules for name in MODULES):
        return
    import matplotlib.artist

    kwdoc = matplotlib.artist.kwdoc
    skip_3d = _TOOLKIT_3D not in sys.modules
    matplotlib.artist.kwdoc = _no_kwdoc
    if skip_3d:
        sys.modules[_TOOLKIT_3D] = None  # type: ignore[assignment] - import raises ImportError
    try:
        with warnings.catch_warnings():
            # projections/__init__.py warns that the 3-D projection is not available.
            warnings.filterwarnings("ignore", message="Unable to import Axes3D")
            for name in MODULES:
                __import__(name)
    finally:
        matplotlib.artist.kwdoc = kwdoc
        if skip_3d and sys.modules.get(_TOOLKIT_3D, 0) is None:
            del sys.modules[_TOOLKIT_3D]
