"""Renders the README's screenshots from the real window (offscreen, no display needed).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/images]

Writes start.png (the start page), lenet5.png (LeNet-5 as it opens), error.png (a mistake shown on its
card and in the Problems list), training.png (a run in progress, with live
curves and conv1's feature maps), gradcam.png (Try an Image with the Grad-CAM
heat map of the trained network), resnet50.png (ResNet-50 as 25 cards,
its residual blocks collapsed), explainer.png (Help ▸ Learn Convolution), segmentation.png (unet-small
training on seg-shapes, the Masks dock in front: the probe image, its true and predicted masks, the IoU
bars) and detection.png (detector-small training on det-shapes, the Boxes dock in front: the probe image's
true and predicted boxes, mAP and the AP bars). Settings, autosaves and runs go to a temporary folder, so
the user's own are untouched.

``--segmentation`` writes segmentation.png only; ``--faces`` faces.png only (face-embedder-small training,
the Embeddings view in front).

``--data`` writes the Data view only, on a generated folder of shapes whose triangles are few, with a copied
file, a broken one and an odd-sized one: data.png (the grid and the class balance with its warning),
data-input.png (what the network receives, augmented) and data-problems.png (the problems found).
``--segmentation`` writes segmentation.png only, ``--detection`` detection.png only.
``--block-explainer`` writes block-explainer-TOPIC.png only, one per page of the block explainer.
``--medical`` writes medical.png only: tinycnn trained on a generated folder of 16-bit CT-like DICOM slices
(with and without a lung nodule) at the Input's lung window, then Try an Image on a slice with a nodule:
the windowed slice, the guess and its Grad-CAM map, the Input selected so the Inspector names the window.
Example ▸ Plain vs residual, both networks trained, the Gradients dock with its explanation.
``--sweep`` writes sweep.png only: Training ▸ Sweep… on LeNet-5 (digits, one epoch a trial), a seeded
sweep of the learning rate and both conv widths against MACs, the dialog grabbed once its Pareto front
has filled in.

To look for clipped or cramped text at other sizes and in the dark theme, ``--size 1280x720 --theme dark
--every-panel`` also writes confusion.png, gallery.png and palette-library.png (and the window fits a
screen of that size, as on a laptop).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import app  # noqa: E402,F401 - applies the Qt work-arounds
from app.explainer import show_convolution_explainer  # noqa: E402
from app.main_window import MainWindow  # noqa: E402
from engine.data.digits import load_digits  # noqa: E402

PRESETS = Path(__file__).resolve().parents[1] / "presets"

SIZE = (1440, 900)
#: Validated epochs of unet-small before its shot: the predicted mask has taken the shapes' outlines.
SEGMENTATION_EPOCHS = 9  # of the preset's 10: most of the run validated, still training
#: Validated epochs of face-embedder-small before its shot: the identities have pulled apart on the map.
FACES_EPOCHS = 5
#: Validated epochs of detector-small before its shot: its boxes have found the shapes.
DETECTION_EPOCHS = 10


def use_screen_of(size: tuple[int, int], scratch: Path) -> None:
    """Offscreen, the screen is 800×600 physical pixels unless told: make it ``size`` logical pixels at
    QT_SCALE_FACTOR, so windows and dialogs sized to the screen are shown as on such a laptop."""
    if os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return
    scale = float(os.environ.get("QT_SCALE_FACTOR", "1"))
    config = scratch / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": round(size[0] * scale),
                                               "height": round(size[1] * scale),
                                               "logicalDpiX": 96, "logicalDpiY": 96}]}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--size", default=f"{SIZE[0]}x{SIZE[1]}", help="window size, e.g. 1280x720")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    parser.add_argument("--every-panel", action="store_true", help="also the confusion, gallery and My Blocks")
    parser.add_argument("--segmentation", action="store_true", help="only segmentation.png (unet-small training)")
    parser.add_argument("--data", action="store_true", help="only the Data view: data.png, data-input.png, "
                                                            "data-problems.png")
    parser.add_argument("--faces", action="store_true", help="only faces.png (face-embedder-small training)")
    parser.add_argument("--detection", action="store_true", help="only detection.png (detector-small training)")
    parser.add_argument("--gradients", action="store_true", help="only gradients.png (the Plain vs residual example)")
    parser.add_argument("--medical", action="store_true", help="only medical.png (a windowed DICOM with Grad-CAM)")
    parser.add_argument("--sweep", action="store_true", help="only sweep.png (a LeNet-5 sweep's Pareto front)")
    parser.add_argument("--block-explainer", action="store_true",
                        help="only the block explainer, a picture per page: block-explainer-TOPIC.png")
    args = parser.parse_args(argv)
    size = tuple(int(part) for part in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="convcanvas-shots-"))
    use_screen_of(size, scratch)
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("view/theme", args.theme)
    window = MainWindow(settings=settings, recovery_dir=scratch / "recovery", runs_root=scratch / "runs",
                        library_dir=scratch / "blocks")
    window.resize(*size)
    window.show()
    window.start(None)  # the start page: nothing to open

    def save(name: str) -> None:
        path = args.out / name
        window.grab().save(str(path))
        print(f"wrote {path}")

    def open_lenet() -> None:
        save("start.png")
        window.start_page.preset_buttons["lenet5"].click()
        QTimer.singleShot(600, show_error)

    def show_error() -> None:
        if args.every_panel:
            window.palette_panel.my_blocks.setExpanded(True)
            window.palette_panel.tree.scrollToBottom()
            save("palette-library.png")
        save("lenet5.png")
        # A kernel larger than the 14×14 maps it slides over: conv2's card turns red.
        window.document.set_param("conv2", "kernel_size", 15)
        window.canvas.select_nodes(["conv2"])
        QTimer.singleShot(600, lambda: (save("error.png"), window.document.undo_stack.undo(), train()))

    def train() -> None:
        window.canvas.select_nodes(["conv1"])
        window.training_ui.start_training()
        QTimer.singleShot(3000, lambda: wait_for_validation(time.monotonic() + 120))

    def wait_for_validation(deadline: float) -> None:
        """The shot shows a run with at least one validation (a busy machine trains slowly)."""
        run = window.training_ui.curves.run
        if (run is not None and len(run.val_x) >= 1) or time.monotonic() > deadline:
            QTimer.singleShot(1500, finish)
        else:
            QTimer.singleShot(500, lambda: wait_for_validation(deadline))

    def finish() -> None:
        save("training.png")
        window.training_ui.stop_and_wait()
        # Once the finished run has reached the window (a queued signal); the panels first, in one go,
        # so that no later step's timer fires between them.
        QTimer.singleShot(2500, every_panel if args.every_panel else try_an_image)

    def every_panel() -> None:
        for name, file_name in (("confusionDock", "confusion.png"), ("galleryDock", "gallery.png"),
                                ("trainingDock", "training-panel.png"), ("featureMapsDock", "feature-maps.png"),
                                ("filtersDock", "filters.png")):
            save_dock(name, file_name)
        window.inspector_dock.raise_()
        try_an_image()

    def try_an_image() -> None:
        # A digit the network has seen the like of, as a file, for Try an Image.
        digits, _ = load_digits()
        pixels = np.ascontiguousarray((digits.images[5, 0].numpy() * 255).astype(np.uint8))
        image = QImage(pixels.data, 8, 8, 8, QImage.Format.Format_Grayscale8).scaled(64, 64)
        image.save(str(scratch / "digit.png"))
        window.training_ui.dock("predictDock").raise_()
        QTimer.singleShot(500, lambda: window.training_ui.predict_file(str(scratch / "digit.png")))
        QTimer.singleShot(3500, show_blocks)

    def save_dock(name: str, file_name: str) -> None:
        window.training_ui.dock(name).raise_()
        qt_app.processEvents()
        save(file_name)

    def show_blocks() -> None:
        save("gradcam.png")
        window.document.undo_stack.setClean()
        window.open_preset(PRESETS / "resnet50.cnn.json")
        window.training_ui.dock("curvesDock").raise_()
        QTimer.singleShot(300, window.canvas.fit_to_view)
        QTimer.singleShot(1000, show_explainer)

    def show_explainer() -> None:
        save("resnet50.png")
        window.document.undo_stack.setClean()
        explainer = show_convolution_explainer(window)
        QTimer.singleShot(800, lambda: (explainer.grab().save(str(args.out / "explainer.png")),
                                        print(f"wrote {args.out / 'explainer.png'}"), explainer.close(),
                                        open_unet()))

    def open_unet() -> None:
        open_live_preset("unet-small", "masksDock", "segmentation.png", SEGMENTATION_EPOCHS,
                         then=open_detector if not args.segmentation else quit_)

    def open_detector() -> None:
        # The Boxes dock has a column of its own: the feature maps (a tab group beside it on a wide screen) make way.
        for name in ("featureMapsDock", "filtersDock"):
            window.training_ui.dock(name).hide()
        open_live_preset("detector-small", "boxesDock", "detection.png", DETECTION_EPOCHS, then=quit_)

    def open_live_preset(preset: str, dock: str, shot: str, epochs: int, then) -> None:
        """Trains ``preset`` with its task's live view (``dock``) in front, and saves ``shot`` once ``epochs``
        epochs are validated (the live view has something to show), then stops and goes on with ``then``."""
        window.document.undo_stack.setClean()
        window.open_preset(PRESETS / f"{preset}.cnn.json")
        ui = window.training_ui
        ui.dock(dock).raise_()
        ui.dock("trainingDock").raise_()  # its Task box names the task
        # Room for the pictures side by side and the bars below them, and the bottom docks' tabs
        # unclipped: the block palette makes way (the network is drawn already).
        window.palette_dock.hide()
        window.resizeDocks([ui.dock("curvesDock"), ui.dock(dock)], [560, 660], Qt.Orientation.Horizontal)
        window.resizeDocks([ui.dock(dock)], [400], Qt.Orientation.Vertical)
        QTimer.singleShot(300, window.canvas.fit_to_view)
        QTimer.singleShot(1000, lambda: train_live(preset, dock, shot, epochs, then))

    def train_live(preset: str, dock: str, shot: str, epochs: int, then) -> None:
        window.canvas.select_nodes([window.document.graph.nodes_of_type("conv2d")[0].id])
        if not window.training_ui.start_training():
            print(f"{preset} did not start training:", window.training_ui.panel.message_label.text())
        QTimer.singleShot(3000, lambda: wait_for_epochs(preset, dock, shot, epochs, then, time.monotonic() + 480))

    def wait_for_epochs(preset: str, dock: str, shot: str, epochs: int, then, deadline: float) -> None:
        """Most of the run validated: the live view shows the network's answers taking shape."""
        run = window.training_ui.curves.run
        if (run is not None and len(run.val_x) >= epochs) or time.monotonic() > deadline \
                or not window.training_ui.is_training():
            if window.training_ui.panel.message_label.text():
                print(f"{preset}:", window.training_ui.panel.message_label.text())
            window.training_ui.dock(dock).raise_()
            window.canvas.fit_to_view()  # the canvas as the docks left it: the network from its Input
            QTimer.singleShot(1000, lambda: (save(shot), window.training_ui.stop_and_wait(),
                                             QTimer.singleShot(1500, then)))
        else:
            QTimer.singleShot(500, lambda: wait_for_epochs(preset, dock, shot, epochs, then, deadline))

    def open_data() -> None:
        from app.training.settings_command import set_training_setting

        folder = data_folder(scratch / "shapes")
        window.start_page.preset_buttons["lenet5"].click()
        for key in ("augment_crop", "augment_flip"):
            set_training_setting(window.document, key, True)
        window.palette_dock.hide()  # room for the grid beside the tabs
        window.data_view.choose_folder(str(folder))
        QTimer.singleShot(1000, lambda: wait_for_data(time.monotonic() + 120))

    def wait_for_data(deadline: float) -> None:
        view = window.data_view.view
        if view.samples is None and time.monotonic() < deadline:
            QTimer.singleShot(300, lambda: wait_for_data(deadline))
            return
        view.grid.setCurrentIndex(view.grid.model().index(7, 0))
        view.tabs.setCurrentWidget(view.balance)
        QTimer.singleShot(800, lambda: (save("data.png"), view.tabs.setCurrentWidget(view.received),
                                        QTimer.singleShot(800, data_problems)))

    def data_problems() -> None:
        save("data-input.png")
        view = window.data_view.view
        view.tabs.setCurrentWidget(view.problems)
        view.scan_problems()
        QTimer.singleShot(1000, lambda: wait_for_problems(time.monotonic() + 120))

    def wait_for_problems(deadline: float) -> None:
        view = window.data_view.view
        if view.scan_job.running and time.monotonic() < deadline:
            QTimer.singleShot(300, lambda: wait_for_problems(deadline))
            return
        QTimer.singleShot(500, lambda: (save("data-problems.png"), window.document.undo_stack.setClean(), quit_()))
    def open_faces() -> None:
        window.document.undo_stack.setClean()
        window.open_preset(PRESETS / "face-embedder-small.cnn.json")
        ui = window.training_ui
        ui.dock("embeddingsDock").raise_()
        ui.dock("trainingDock").raise_()  # its Task box says Embedding (faces)
        window.palette_dock.hide()
        window.resizeDocks([ui.dock("curvesDock"), ui.dock("embeddingsDock")], [480, 760], Qt.Orientation.Horizontal)
        window.resizeDocks([ui.dock("embeddingsDock")], [420], Qt.Orientation.Vertical)
        QTimer.singleShot(300, window.canvas.fit_to_view)
        QTimer.singleShot(1000, train_faces)

    def train_faces() -> None:
        if not window.training_ui.start_training():
            print("face-embedder-small did not start training:", window.training_ui.panel.message_label.text())
        QTimer.singleShot(3000, lambda: wait_for_identities(time.monotonic() + 900))

    def wait_for_identities(deadline: float) -> None:
        """Some epochs validated: the ROC hugs the corner and the identities' clusters stand apart."""
        view = window.training_ui.embeddings
        if (view.epoch or 0) >= FACES_EPOCHS or time.monotonic() > deadline or not window.training_ui.is_training():
            window.canvas.fit_to_view()
            QTimer.singleShot(1000, lambda: (save("faces.png"), window.training_ui.stop_and_wait(),
                                             QTimer.singleShot(1500, quit_)))
        else:
            QTimer.singleShot(500, lambda: wait_for_identities(deadline))

    def open_medical() -> None:
        from app.training.settings_command import set_training_setting

        folder, probe = ct_folder(scratch / "ct")
        window.document.undo_stack.setClean()
        window.open_preset(PRESETS / "tinycnn.cnn.json")
        document = window.document
        (input_node,) = document.graph.nodes_of_type("input")
        for key, value in (("height", CT_SIDE), ("width", CT_SIDE), ("window", "lung")):
            document.set_param(input_node.id, key, value)
        document.set_param(document.graph.nodes_of_type("dense")[-1].id, "out_features", 2)
        for key, value in (("dataset", str(folder)), ("epochs", MEDICAL_EPOCHS)):
            set_training_setting(document, key, value)
        window.palette_dock.hide()  # room for the slice and its heat map
        ui = window.training_ui
        if not ui.start_training():
            print("tinycnn did not start training:", ui.panel.message_label.text())
        QTimer.singleShot(3000, lambda: wait_for_medical(probe, time.monotonic() + 600))

    def wait_for_medical(probe: Path, deadline: float) -> None:
        ui = window.training_ui
        if ui.is_training() and time.monotonic() < deadline:
            QTimer.singleShot(500, lambda: wait_for_medical(probe, deadline))
            return
        ui.stop_and_wait()
        ui.dock("predictDock").raise_()
        window.resizeDocks([ui.dock("predictDock")], [430], Qt.Orientation.Vertical)  # the slice and its map
        window.canvas.select_nodes([window.document.graph.nodes_of_type("input")[0].id])  # the Inspector: its window
        QTimer.singleShot(500, window.canvas.fit_to_view)  # once the docks have their new sizes
        print("medical:", ui.panel.message_label.text() or "trained")
        QTimer.singleShot(1500, lambda: ui.predict_file(str(probe)))
        QTimer.singleShot(6000, lambda: (save("medical.png"), window.document.undo_stack.setClean(), quit_()))

    def quit_() -> None:
        window.close()
        qt_app.quit()

    def open_sweep() -> None:
        """A real sweep, saved project beside its runs, seeded: the trials table and the front fill in."""
        from app.training.settings_command import set_training_setting

        window.start_page.preset_buttons["lenet5"].click()
        set_training_setting(window.document, "batch_size", 64)
        (scratch / "project").mkdir()
        window._save_to(scratch / "project" / "lenet5.cnn.json")  # noqa: SLF001 - File ▸ Save As without its dialog
        dialog = window.show_sweep_dialog()
        dialog.resize(*size)
        dialog.seed = SWEEP_SEED
        for name, text in SWEEP_PARAMS:
            dialog.param_choice.setCurrentIndex(dialog.param_choice.findText(name))
            dialog.range_edit.setText(text)
            dialog.add_button.click()
        dialog.trials_spin.setValue(SWEEP_TRIALS)
        dialog.epochs_spin.setValue(1)
        dialog.objective_choice.setCurrentIndex(1)  # metric against MACs: a Pareto front
        dialog.sweep_ended.connect(lambda: QTimer.singleShot(1000, lambda: (
            dialog.grab().save(str(args.out / "sweep.png")), print(f"wrote {args.out / 'sweep.png'}"),
            print(dialog.message.text()), dialog.close(), window.document.undo_stack.setClean(), quit_())))
        if not dialog.start():
            print("the sweep did not start:", dialog.message.text())
            quit_()

    def plain_vs_residual() -> None:
        ui = window.training_ui
        example = window.plain_vs_residual
        window.palette_dock.hide()  # room for the bars and the explanation
        window.resizeDocks([ui.dock("gradientsDock")], [480], Qt.Orientation.Vertical)

        def shot(_text: str) -> None:
            ui.dock("gradientsDock").raise_()
            QTimer.singleShot(1000, lambda: (save("gradients.png"), QTimer.singleShot(500, quit_)))
        example.finished.connect(shot)
        example.action.trigger()

    def block_explainer() -> None:
        """Each page of the block explainer at the window's size (Explain This Block… on a node opens it)."""
        from app.explainer.block_window import show_block_explainer

        explainer = show_block_explainer(window)
        explainer.resize(*size)
        for topic in explainer.pages:
            explainer.show_topic(topic)
            qt_app.processEvents()
            path = args.out / f"block-explainer-{topic.replace('_', '-')}.png"
            explainer.grab().save(str(path))
            print(f"wrote {path}")
        explainer.close()
        quit_()

    first = (open_faces if args.faces else open_unet if args.segmentation else open_detector if args.detection
             else open_data if args.data else plain_vs_residual if args.gradients else open_medical if args.medical
             else open_sweep if args.sweep else block_explainer if args.block_explainer else open_lenet)
    QTimer.singleShot(1500, first)
    qt_app.exec()
    return 0


#: The README's sweep: LeNet-5's learning rate and conv widths, a seeded sampler, one epoch a trial.
SWEEP_PARAMS = (("lr", "1e-3..3e-2"), ("conv1.out_channels", "2..12"), ("conv2.out_channels", "4..24"))
SWEEP_TRIALS = 10
SWEEP_SEED = 7

CT_SIDE = 64
#: Epochs of tinycnn on the CT slices: it tells the slices with a nodule by then.
MEDICAL_EPOCHS = 20


def ct_slice(rng: np.random.Generator, nodule: bool) -> np.ndarray:
    """A toy chest CT slice in Hounsfield units: air around a soft-tissue body, two dark lungs, a bright spine,
    noise; with ``nodule``, a small soft-tissue ball in one lung (seen at a lung window, lost at a bone one)."""
    y, x = np.mgrid[0:CT_SIDE, 0:CT_SIDE].astype(np.float64) / (CT_SIDE - 1) * 2 - 1
    hu = np.full((CT_SIDE, CT_SIDE), -1000.0)
    hu[(x / 0.92) ** 2 + (y / 0.72) ** 2 <= 1] = 40.0
    lungs, cores = [], []  # a nodule's centre lies in a lung's core, so the ball shows whole against the air
    for centre in (-0.42, 0.42):
        lung = ((x - centre) / 0.33) ** 2 + ((y + 0.05) / 0.5) ** 2 <= 1
        hu[lung] = -850.0
        lungs.append(lung)
        cores.append(((x - centre) / 0.15) ** 2 + ((y + 0.05) / 0.3) ** 2 <= 1)
    hu[x ** 2 + ((y - 0.55) / 0.9) ** 2 <= 0.13 ** 2] = 700.0
    if nodule:
        which = rng.integers(2)
        side, core = lungs[which], cores[which]
        cy, cx = np.argwhere(core)[rng.integers(core.sum())]
        radius = rng.uniform(3.5, 5.5)
        yy, xx = np.mgrid[0:CT_SIDE, 0:CT_SIDE]
        hu[((yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2) & side] = 60.0
    return hu + rng.normal(0, 15, hu.shape)


def write_ct_dicom(path: Path, hu: np.ndarray) -> None:
    """16-bit stored values (HU + 1024, rescale intercept -1024) with the file's own soft-tissue window."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = CTImageStorage, generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    dataset.SOPClassUID, dataset.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
    dataset.Modality, dataset.Rows, dataset.Columns = "CT", CT_SIDE, CT_SIDE
    dataset.SamplesPerPixel, dataset.PhotometricInterpretation = 1, "MONOCHROME2"
    dataset.BitsAllocated = dataset.BitsStored = 16
    dataset.HighBit, dataset.PixelRepresentation = 15, 0
    dataset.RescaleSlope, dataset.RescaleIntercept = 1, -1024
    dataset.WindowCenter, dataset.WindowWidth = 40, 400
    dataset.PixelData = np.clip(hu + 1024, 0, 4095).astype(np.uint16).tobytes()
    dataset.save_as(path, enforce_file_format=True)


def ct_folder(root: Path, per_class: int = 60) -> tuple[Path, Path]:
    """root/normal and root/nodule of CT-like DICOM slices, and a probe slice with a nodule beside them."""
    rng = np.random.default_rng(7)
    for label in ("normal", "nodule"):
        (root / label).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            write_ct_dicom(root / label / f"{label}{index:03d}.dcm", ct_slice(rng, label == "nodule"))
    probe = root.parent / "probe.dcm"
    write_ct_dicom(probe, ct_slice(rng, True))
    return root, probe


def data_folder(root: Path) -> Path:
    """Generated shapes as an image folder, one class far smaller than the others, with a few problems."""
    import shutil

    from engine.data.shapes import CLASS_NAMES, generate_shapes

    images, labels = generate_shapes(600, (32, 32), seed=2)
    kept = {name: 0 for name in CLASS_NAMES}
    for image, label in zip(images, labels.tolist()):
        name = CLASS_NAMES[label]
        if name == "triangle" and kept[name] >= 9:
            continue
        pixels = np.ascontiguousarray((image.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8))
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        QImage(pixels.data, 32, 32, 96, QImage.Format.Format_RGB888).save(str(folder / f"{kept[name]:03d}.png"))
        kept[name] += 1
    shutil.copy(root / "circle" / "000.png", root / "circle" / "copy-of-000.png")
    (root / "square" / "broken.png").write_bytes(b"\x89PNG, but cut off")
    QImage(160, 120, QImage.Format.Format_RGB888).save(str(root / "ring" / "wide.png"))
    return root


if __name__ == "__main__":
    sys.exit(main())
