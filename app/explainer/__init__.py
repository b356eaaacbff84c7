"""The interactive convolution explainer (Help ▸ Learn Convolution, a conv node's context menu).

    explainer = show_convolution_explainer(main_window)            # the classic worked example
    explainer = show_convolution_explainer(main_window, "conv1")   # conv1's geometry and learned filters
"""
from .launch import show_convolution_explainer
from .window import ConvolutionExplainer

__all__ = ["ConvolutionExplainer", "show_convolution_explainer"]
