"""ConvCanvas desktop app (PySide6): views and controllers over the Qt-free engine."""
from .qt_workarounds import make_singletons_immortal

make_singletons_immortal()
