"""The node-editor canvas: a scene mirroring the document's graph, and its view."""
from .scene import CanvasScene
from .view import CanvasView

__all__ = ["CanvasScene", "CanvasView"]
