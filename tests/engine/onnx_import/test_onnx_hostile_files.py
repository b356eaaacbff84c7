"""Hostile and broken ONNX files: each refused in one line naming the file, nothing read outside its folder,
nothing allocated beyond the stated bounds; on the command line, exit status 2 and no project written."""
from __future__ import annotations

import os
import struct
import sys

import numpy as np
import pytest
from onnx import helper

from engine.cli import main
from engine.importer import ModelImportError, import_onnx
from engine.importer.onnx.reading import MAX_NODES

from .models import externalise, save, small_model, weights


def refusal(path, **kwargs) -> str:
    with pytest.raises(ModelImportError) as caught:
        import_onnx(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and "Traceback" not in message
    return message


def test_external_data_inside_the_folder_is_read_and_the_import_matches(tmp_path):
    model = externalise(small_model(), "conv.weight", "weights.bin")
    (tmp_path / "weights.bin").write_bytes(weights()["conv.weight"].tobytes())
    result = import_onnx(save(model, tmp_path / "model.onnx"))
    key = next(key for key in result.state_dict if key.endswith("weight") and result.state_dict[key].dim() == 4)
    assert np.array_equal(result.state_dict[key].numpy(), weights()["conv.weight"])


@pytest.mark.parametrize("location", ["../outside.bin", "/etc/passwd", "sub/../../outside.bin", "C:/x.bin"])
def test_external_data_pointing_outside_the_folder_is_refused(tmp_path, location):
    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "outside.bin").write_bytes(weights()["conv.weight"].tobytes())
    message = refusal(save(externalise(small_model(), "conv.weight", location), folder / "model.onnx"))
    assert "outside the model's folder" in message and "conv.weight" in message


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_external_data_through_a_link_out_of_the_folder_is_refused(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "secret.bin").write_bytes(weights()["conv.weight"].tobytes())
    os.symlink(tmp_path / "secret.bin", folder / "weights.bin")
    message = refusal(save(externalise(small_model(), "conv.weight", "weights.bin"), folder / "model.onnx"))
    assert "through a link" in message


def test_external_data_past_the_end_of_its_file_is_refused(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"\0" * 100)  # the weight needs 432 bytes
    message = refusal(save(externalise(small_model(), "conv.weight", "weights.bin"), tmp_path / "model.onnx"))
    assert "past the end of its data file weights.bin" in message


def test_a_tensor_claiming_more_values_than_its_bytes_is_refused(tmp_path):
    model = small_model()
    tensor = next(t for t in model.graph.initializer if t.name == "conv.weight")
    tensor.dims[0] = 4000  # 108,000 values, still 432 bytes
    message = refusal(save(model, tmp_path / "model.onnx"))
    assert "claims 108,000 values" in message and "damaged" in message


def test_a_tensor_larger_than_the_bound_is_refused_before_anything_is_allocated(tmp_path):
    model = externalise(small_model(), "conv.weight", "weights.bin", length=4 * 10**12)
    tensor = next(t for t in model.graph.initializer if t.name == "conv.weight")
    del tensor.dims[:]
    tensor.dims.extend([10**6, 10**6])  # 4 TB of float32
    (tmp_path / "weights.bin").write_bytes(b"\0" * 16)
    message = refusal(save(model, tmp_path / "model.onnx"))
    assert "the most ConvCanvas imports" in message


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def test_a_graph_of_a_million_operators_is_refused(tmp_path):
    # Written field by field (protobuf's wire format): building 10⁶ NodeProto objects would take minutes.
    node = helper.make_node("Relu", ["x"], ["x"]).SerializeToString()
    graph = (b"\x0a" + _varint(len(node)) + node) * 1_000_000
    opset = helper.make_opsetid("", 17).SerializeToString()
    model = b"\x08\x08" + b"\x3a" + _varint(len(graph)) + graph + b"\x42" + _varint(len(opset)) + opset
    path = tmp_path / "huge.onnx"
    path.write_bytes(model)
    message = refusal(path)
    assert "1,000,000 operators" in message and f"{MAX_NODES:,}" in message


@pytest.mark.parametrize("content", [b"\x08\x07garbage that is not protobuf \xff\xff\xff\xff", b"",
                                     struct.pack("<8d", *range(8))])
def test_corrupt_files_are_refused(tmp_path, content):
    path = tmp_path / "broken.onnx"
    path.write_bytes(content)
    assert "not an ONNX model" in refusal(path)


def test_a_truncated_model_is_refused(tmp_path):
    data = small_model().SerializeToString()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    message = refusal(path)
    assert "not an ONNX model" in message or "damaged" in message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    path = tmp_path / "pipe.onnx"
    os.mkfifo(path)
    assert "named pipe" in refusal(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_dev_zero_is_refused():
    with pytest.raises(ModelImportError, match="is a device"):
        import_onnx("/dev/zero")


def test_the_command_line_says_one_line_exits_2_and_writes_nothing(tmp_path, capsys):
    model = save(externalise(small_model(), "conv.weight", "../outside.bin"), tmp_path / "model.onnx")
    out = tmp_path / "out.cnn.json"
    code = main(["import", str(model), "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and str(model) in err and "outside" in err
    assert not out.exists()
