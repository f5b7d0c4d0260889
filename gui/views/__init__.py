"""The views of the main window, in the order they are laid out, shown in menus and exported.

A new view: a module with a gui.views.base.View subclass, and one line in VIEWS."""
from .dynamics import DynamicsView
from .rank import RankView
from .spectrum import SpectrumView

VIEWS = (SpectrumView, RankView, DynamicsView)
