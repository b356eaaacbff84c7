"""ONNX models as editable projects: read as data (``reading``), normalised and rebuilt as a torch.fx graph
of plain torch layers (``building``, ``operators``), then imported like any traced module (``convert``).

Nothing in an ONNX file runs: it is parsed as a protobuf message, its tensors are read within stated
bounds from the model's own folder, and each operator is translated by a table of known operators.
"""
