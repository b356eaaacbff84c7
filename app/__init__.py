"""ConvCanvas desktop app (PySide6): views and controllers over the Qt-free engine."""
from .qt_workarounds import make_singletons_immortal
from .shell.pyqtgraph_import import import_pyqtgraph_without_cuda

make_singletons_immortal()
import_pyqtgraph_without_cuda()
