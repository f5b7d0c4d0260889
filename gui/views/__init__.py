"""The views of the main window and the pages they are shown on.

The window shows one page at a time; each page answers one question and holds the views that
declare it (`View.page`). PAGES gives the pages' order (tabs, Ctrl+1…, Page Down) and titles.
A new view: a module with a gui.views.base.View subclass naming its page, and one line in VIEWS;
a new page: one line in PAGES as well."""
from .dynamics import DynamicsView
from .landscape import LandscapeView
from .modes import ModesView
from .rank import RankView
from .spectrum import SpectrumView
from .structure import StructureView
from .sweep import SweepView

VIEWS = (SpectrumView, RankView, DynamicsView, ModesView, LandscapeView, StructureView, SweepView)

# page name → its tab's title, in the order of the tabs
PAGES = {
    "spectrum": "Spectrum",
    "rank": "Rank",
    "learning": "Learning",
    "mode": "A mode",
    "landscape": "Landscape",
    "structure": "Structure",
    "sweep": "Sweep",
}

# The extra jobs of the run controller a view needs while it is on screen (teacher 1 taken
# apart; the loss on a plane): started only then.
WANTS = {"modes": ("anatomy",), "structure": ("anatomy",), "landscape": ("anatomy", "landscape")}

# Names a configuration's "view": {"views": …} took before pages (the wall of views): the page
# each opens now, so old presets and saved configurations keep opening.
LEGACY = {"main": "spectrum", "anatomy": "mode", "all": "spectrum"}

# The names "views" accepts besides "all" and the views' own names (gui.config reads it): the
# pages and the old groups, each with the page it opens.
GROUPS = {name: page for name, page in {**LEGACY, **{p: p for p in PAGES}}.items()
          if name != "all" and name not in {cls.name for cls in VIEWS}}


def page_of(name: str | None) -> str:
    """The page a "views" value opens: a page, a view (its page), an old group, or None."""
    if name in PAGES:
        return name
    for cls in VIEWS:
        if cls.name == name:
            return cls.page
    return LEGACY.get(name, "spectrum")
