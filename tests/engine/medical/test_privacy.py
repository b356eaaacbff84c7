"""No patient identity in anything ConvCanvas writes: DICOM files with identifying tags go through train,
predict and every export, and every byte written or printed is searched for the tags' values."""
from __future__ import annotations

from engine import Project, load_project, save_project
from engine.checkpoint import load_checkpoint
from engine.cli import main
from engine.privacy import hash_file_names, hashed_name

from .medical_writers import IDENTIFYING, PATIENT_ID, PATIENT_NAME, ct_slice, dicom_class_folder, write_dicom
from .findings_data import findings_graph


def test_hashing_replaces_every_image_file_name_and_keeps_its_kind():
    text = "skipped 2 unreadable image(s) of 9: a/Doe_Jane.dcm (damaged), b/PID-1.nii.gz; c/x.png"
    hashed = hash_file_names(text)
    assert "Doe_Jane" not in hashed and "PID-1" not in hashed and "x.png" not in hashed
    assert hashed_name("a/Doe_Jane.dcm") in hashed and hashed_name("b/PID-1.nii.gz").endswith(".nii.gz")
    assert hashed_name("a/Doe_Jane.dcm") == hashed_name("a/Doe_Jane.dcm") != hashed_name("a/Doe_John.dcm")


def test_hashing_takes_names_with_spaces_carets_commas_and_their_folders_whole():
    """Patient names as hospitals write them into file and folder names: "John Smith", DICOM's PatientName
    ("Smith^John"), "Smith, John", a folder per patient; each is hashed whole, never a last word of it."""
    names = ["normal/John Smith.dcm", "Smith^John^Q.dcm", "Smith, John.png", "John Smith/scan 01.dcm",
             "Smith^John Q/IM 0001.nii.gz", "lesion/O'Brien Mary.dcm", r"C:\data\Mary Jones\x.dcm"]
    text = f"skipped {len(names)} unreadable image(s) of 40: {', '.join(names)}, ..."
    hashed = hash_file_names(text)
    for name in names:
        assert hashed_name(name) in hashed, name
    for word in ("John", "Smith", "Mary", "Jones", "Brien", "scan", "IM 0001"):
        assert word not in hashed, word
    assert hashed.startswith(f"skipped {len(names)} unreadable image(s) of 40: file-") and hashed.endswith(", ...")
    # a file name at the start of a line, a path in brackets, and a name followed by a sentence's full stop
    assert hash_file_names("Smith John.dcm: damaged\n(John Smith/a.png).") == \
        f"{hashed_name('Smith John.dcm')}: damaged\n({hashed_name('John Smith/a.png')})."


def _every_byte(folder) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_no_patient_tag_reaches_checkpoints_logs_predictions_exports_or_projects(tmp_path, capsys):
    data = dicom_class_folder(tmp_path / "data" / "ct", per_class=6)
    # file names that hold identity: a broken one (listed in the notes) and one given to predict
    (data / "normal" / f"{PATIENT_NAME}_broken.dcm").write_bytes(b"\0" * 128 + b"DICM")
    # a folder per patient, named with a space, holding a broken file named with spaces
    patient = data / "normal" / PATIENT_NAME.replace("^", " ")
    patient.mkdir()
    (patient / f"{PATIENT_NAME.split('^')[1]} {PATIENT_ID} 01.dcm").write_bytes(b"\0" * 128 + b"DICM")
    named = write_dicom(data / "lesion" / f"{PATIENT_ID}.dcm", ct_slice(16, True, 55), intercept=-1024)
    out = tmp_path / "out"
    out.mkdir()
    project = save_project(Project(findings_graph(2, 16), "ct", task="classification"), out / "ct.cnn.json")
    printed = []

    def cli(*args: str) -> int:
        code = main(list(args))
        captured = capsys.readouterr()
        printed.append(captured.out + captured.err)
        return code

    assert cli("train", str(project), "--dataset", str(data), "--epochs", "1", "--batch-size", "8", "--device", "cpu",
               "--window", "lung", "--out", str(out / "run"), "--hash-names", "--json") == 0
    checkpoint = out / "run" / "best.pt"
    assert cli("predict", str(checkpoint), str(named), str(data / "normal" / "normal00.dcm"), "--json",
               "--hash-names") == 0
    for kind, name in (("torchscript", "model.ts"), ("onnx", "model.onnx"), ("python", "model.py"),
                       ("checkpoint", "copy.pt")):
        assert cli("export", str(checkpoint), "--format", kind, "--out", str(out / name)) == 0
    save_project(load_checkpoint(checkpoint).project, out / "from-checkpoint.cnn.json")
    assert load_project(out / "from-checkpoint.cnn.json").graph.nodes_of_type("input")[0].params["window"] == "lung"

    written = _every_byte(out)
    assert {"best.pt", "last.pt", "model.ts", "model.onnx", "model.py", "copy.pt"} <= {p.rsplit("/", 1)[1] for p in written}
    assert "skipped 2 unreadable image(s) of 15: file-" in printed[0]  # the broken files are counted, names hashed
    everything = list(written.items()) + [(f"output of command {i}", text.encode()) for i, text in enumerate(printed)]
    for where, content in everything:
        for value in IDENTIFYING:
            for encoded in (value.encode("utf-8"), value.encode("utf-16-le")):
                assert encoded not in content, f"{value!r} found in {where}"


def test_the_search_would_find_a_name_that_leaked(tmp_path, capsys):
    """The privacy search is not vacuous: without --hash-names the broken file's name is printed."""
    data = dicom_class_folder(tmp_path / "ct", per_class=3)
    (data / "normal" / f"{PATIENT_NAME}_broken.dcm").write_bytes(b"\0" * 128 + b"DICM")
    project = save_project(Project(findings_graph(2, 16), "ct"), tmp_path / "ct.cnn.json")
    assert main(["train", str(project), "--dataset", str(data), "--epochs", "1", "--device", "cpu",
                 "--out", str(tmp_path / "run")]) == 0
    assert PATIENT_NAME.encode() in capsys.readouterr().out.encode()
