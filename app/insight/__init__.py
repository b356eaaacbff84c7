"""Views and experiments that show why networks work (gradient flow examples); the live Gradients dock
itself is a training dashboard (``app.training.gradients``)."""
