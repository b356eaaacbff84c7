"""The detection run's dashboards beyond the boxes: mAP and loss-part curves, precision–recall, class heat maps."""
from __future__ import annotations

import numpy as np

from app.training.boxes import BoxView


def test_each_validated_epoch_adds_its_map_to_the_curves_and_a_new_run_starts_them_empty(qtbot):
    view = BoxView()
    qtbot.addWidget(view)
    view.show_map(0.2, 0.1, [0.1, 0.3, None], 1)
    view.show_map(0.5, 0.25, [0.4, 0.6, 0.5], 2)
    x, y = view.map_curves["map50"].getData()
    assert list(x) == [1, 2] and np.allclose(y, [0.2, 0.5])
    assert np.allclose(view.map_curves["map"].getData()[1], [0.1, 0.25])
    view.show_map(0.6, 0.3, [0.4, 0.6, 0.5], 2)  # a resumed run re-reports an epoch: replaced, not doubled
    assert list(view.map_curves["map50"].getData()[0]) == [1, 2]
    view.clear()
    assert len(view.map_curves["map"].getData()[0] or []) == 0
