"""ConvCanvas desktop app (PySide6): views and controllers over the Qt-free engine."""
from .qt_workarounds import make_singletons_immortal
from .shell import pyside_feature_check
from .shell.pyqtgraph_import import import_pyqtgraph_without_cuda

make_singletons_immortal()
pyside_feature_check.install()  # before pyqtgraph and the app's ~500 modules are imported
import_pyqtgraph_without_cuda()
