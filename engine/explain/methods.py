"""The explanation methods the views offer, by id (no torch: the window lists them before torch loads)."""
from __future__ import annotations

#: method id → what the views call it. Grad-CAM sees the image from a convolution; the others
#: attribute the score to the input pixels (captum).
METHODS = {
    "gradcam": "Grad-CAM",
    "integrated_gradients": "Integrated Gradients",
    "saliency": "Saliency",
    "occlusion": "Occlusion",
}
#: What each method's map means, for tooltips.
MEANINGS = {
    "gradcam": "bright where the regions drove the chosen class, seen from the chosen convolution",
    "integrated_gradients": "bright where pixels added most to the score along the way from a blank image",
    "saliency": "bright where the smallest change of a pixel would change the score most",
    "occlusion": "bright where covering a patch lowers the score most",
}
