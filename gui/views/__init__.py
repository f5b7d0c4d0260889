"""The views of the main window, in the order they are laid out, shown in menus and exported.

A new view: a module with a gui.views.base.View subclass, and one line in VIEWS."""
from .dynamics import DynamicsView
from .landscape import LandscapeView
from .modes import ModesView
from .rank import RankView
from .spectrum import SpectrumView
from .structure import StructureView
from .sweep import SweepView

VIEWS = (SpectrumView, RankView, DynamicsView, ModesView, LandscapeView, StructureView, SweepView)

# The sets of views the View menu shows together (Ctrl+0, Ctrl+9); each view names its own.
GROUPS = {"main": "Spectrum, rank and dynamics", "anatomy": "Modes, landscape and structure"}
