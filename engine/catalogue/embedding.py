"""The block that ends an embedding network (the face task): L2 Normalize, unit-length vectors."""
from __future__ import annotations

from .blocks import OUT, SINGLE_INPUT, _flat_input
from .spec import BlockSpec, ModuleCall, Params, ParamSpec, Shape


def _l2_normalize_shape(params: Params, inputs: list[Shape]) -> Shape:
    return (_flat_input("L2 Normalize", inputs),)


L2_NORMALIZE = BlockSpec(
    type_id="l2_normalize",
    title="L2 Normalize",
    category="normalisation",
    summary="Scales each vector to length 1, so embeddings compare by angle (cosine similarity).",
    when=(
        "At the end of an embedding network (faces, metric learning): after the last Dense, so that two "
        "images' similarity is the dot product of their embeddings and lies between -1 and 1."
    ),
    doc=(
        "Divides each sample's vector by its Euclidean (L2) length, as torch.nn.functional.normalize does "
        "(the length is floored at eps to avoid division by zero). Its output lies on the unit sphere, "
        "where the triplet, contrastive and ArcFace losses measure distances."
    ),
    params=(
        ParamSpec("eps", "float", 1e-12, "The smallest length divided by (avoids division by zero).",
                  minimum=1e-30, maximum=1.0),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_l2_normalize_shape,
    module=lambda p, i: ModuleCall("L2Normalize", (), {"eps": p["eps"]}),
    describe=lambda p: "unit length",
    name_prefix="l2norm",
    shape_formula="D → D (length 1)",
)

EMBEDDING_BLOCKS: tuple[BlockSpec, ...] = (L2_NORMALIZE,)

__all__ = ["EMBEDDING_BLOCKS", "L2_NORMALIZE"]
