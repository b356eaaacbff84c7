"""Predicting image files: top-k classes per file, with per-file errors instead of crashes."""
from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

from engine.checkpoint import load_checkpoint
from engine.cli import main
from engine.data import preprocess_images
from engine.predict import PredictionError, predict_images


@pytest.fixture
def images(tmp_path):
    """Real image files of several sizes and modes, and files that are not images."""
    folder = tmp_path / "images"
    folder.mkdir()
    generator = torch.Generator().manual_seed(1)

    def pixels(*shape):
        return torch.randint(0, 256, shape, generator=generator, dtype=torch.uint8).numpy()

    Image.fromarray(pixels(16, 16, 3), "RGB").save(folder / "rgb.png")
    Image.fromarray(pixels(40, 30), "L").save(folder / "grey.png")
    Image.fromarray(pixels(20, 50, 3), "RGB").save(folder / "wide.jpg", quality=90)
    Image.fromarray(pixels(8, 8, 4), "RGBA").save(folder / "alpha.png")
    (folder / "notes.png").write_text("this is not a picture\n")
    return folder


def info(checkpoint):
    return {"input_shape": (3, 16, 16), "mean": checkpoint.mean, "std": checkpoint.std,
            "class_names": checkpoint.class_names}


def test_each_image_gets_its_top_classes_and_bad_files_get_errors(images, checkpoint_path, model):
    checkpoint = load_checkpoint(checkpoint_path)
    paths = [images / name for name in ("rgb.png", "grey.png", "notes.png", "wide.jpg", "missing.png", "alpha.png")]
    paths.append(images)

    predictions = predict_images(model, paths, top_k=3, **info(checkpoint))

    assert [p.path for p in predictions] == [str(path) for path in paths]
    errors = {p.path.rsplit("/", 1)[-1]: p.error for p in predictions if not p.ok}
    assert errors == {"notes.png": "not a readable image (unknown format or not an image file)",
                      "missing.png": "no such file", "images": "is a folder, not an image"}
    for prediction, path in zip(predictions, paths):
        if not prediction.ok:
            assert prediction.top == []
            continue
        with Image.open(path) as image:
            logits = model(preprocess_images(image, (3, 16, 16), checkpoint.mean, checkpoint.std))
        expected = torch.softmax(logits, dim=1)[0].topk(3)
        assert [name for name, _ in prediction.top] == [checkpoint.class_names[i] for i in expected.indices]
        assert [p for _, p in prediction.top] == pytest.approx(expected.values.tolist(), abs=1e-6)


def test_top_k_is_capped_at_the_number_of_classes(images, checkpoint_path, model):
    (prediction,) = predict_images(model, [images / "rgb.png"], top_k=50, **info(load_checkpoint(checkpoint_path)))
    assert sorted(name for name, _ in prediction.top) == sorted(load_checkpoint(checkpoint_path).class_names)
    assert sum(p for _, p in prediction.top) == pytest.approx(1.0)


def test_normalisation_that_does_not_fit_the_network_is_refused(images, model):
    with pytest.raises(PredictionError, match="1 mean and 1 std value"):
        predict_images(model, [images / "rgb.png"], input_shape=(3, 16, 16), mean=(0.5,), std=(0.2,),
                       class_names=[])


def test_predict_cli_prints_a_table_per_image(images, checkpoint_path, capsys):
    assert main(["predict", str(checkpoint_path), str(images / "rgb.png"), str(images / "grey.png"),
                 "--top", "2"]) == 0

    blocks = capsys.readouterr().out.strip().split("\n\n")
    assert [block.splitlines()[0] for block in blocks] == [str(images / "rgb.png"), str(images / "grey.png")]
    for block in blocks:
        ranks = [line.split()[0] for line in block.splitlines()[1:]]
        assert ranks == ["1.", "2."] and all(line.endswith("%") for line in block.splitlines()[1:])


def test_predict_cli_json_reports_bad_files_and_exits_1(images, checkpoint_path, run_cli):
    result = run_cli("predict", str(checkpoint_path), str(images / "wide.jpg"), str(images / "notes.png"),
                     str(images / "missing.png"), "--json")

    assert result.returncode == 1, result.stderr
    wide, notes, missing = json.loads(result.stdout)
    assert wide["error"] is None and len(wide["top"]) == 3
    assert set(wide["top"][0]) == {"class", "probability"} and 0 < wide["top"][0]["probability"] <= 1
    assert notes == {"path": str(images / "notes.png"), "top": [],
                     "error": "not a readable image (unknown format or not an image file)"}
    assert missing["error"] == "no such file"


def test_predict_cli_table_names_a_bad_file_on_one_line(images, checkpoint_path, capsys):
    assert main(["predict", str(checkpoint_path), str(images / "notes.png")]) == 1
    assert capsys.readouterr().out == (f"{images / 'notes.png'}: error: not a readable image "
                                       "(unknown format or not an image file)\n")


def test_predict_refuses_a_malicious_checkpoint(malicious_checkpoint, images, capsys):
    path, marker = malicious_checkpoint

    assert main(["predict", str(path), str(images / "rgb.png")]) == 2

    err = capsys.readouterr().err
    assert err.startswith(f"convcanvas predict: {path}: refused to load") and err.count("\n") == 1
    assert not marker.exists()
