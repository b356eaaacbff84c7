"""ConvCanvas desktop app (PySide6): views and controllers over the Qt-free engine."""
from .qt_workarounds import make_bools_immortal

make_bools_immortal()
