"""The block library: composite blocks as templates, saved to a folder and inserted into other networks."""
from __future__ import annotations

import json

import pytest
import torch

from engine import analyze, compile_graph
from engine.builders import GraphBuilder, basic_block, bottleneck, group_as_block
from engine.compiler import example_input
from engine.graph import GraphError
from engine.groups import structure_key
from engine.library import BlockFileError, BlockLibrary, insert_template, template_from_group, validate_template


def network(block_path: str | None = None, template=None):
    """input → stem → (a grouped basic block, or an inserted template) → pool → fc → output."""
    builder = GraphBuilder()
    builder.add("input", "input", channels=3, height=12, width=12)
    builder.add("conv2d", "stem", out_channels=8, kernel_size=3, padding=1)
    if template is None:
        basic_block(builder, "b1", 8, 8)
        group = group_as_block(builder.graph, "b1", "layer1.0", "BasicBlock8")
    else:
        group = insert_template(builder.graph, template, block_path, origin=(400, 80))
        for slot in group.inputs:
            for member, port in slot:
                builder.graph.connect("stem", member, dst_port=port)
        builder.at(group.output)
    builder.add("adaptiveavgpool2d", "pool", output_size=1)
    builder.add("flatten", "flatten")
    builder.add("dense", "fc", out_features=4)
    builder.add("output", "output")
    return builder.graph, group


def test_a_block_saved_and_inserted_elsewhere_computes_the_same_function(tmp_path):
    original, group = network()
    graph = original.copy()
    graph.set_frozen(group.member_for("bn1"), True)
    library = BlockLibrary(tmp_path / "blocks")
    path = library.save(template_from_group(graph, graph.groups[group.id], "Two 3×3 convs and a shortcut"))
    assert path.name == "BasicBlock8.block.json"

    inserted, new_group = network("block1", library.load("BasicBlock8"))
    assert new_group.name == "block1" and new_group.type == "BasicBlock8" and new_group.collapsed
    assert set(inserted.nodes) >= {"block1_conv1", "block1_bn1", "block1_add", "block1_relu2"}
    assert inserted.nodes["block1_bn1"].frozen and not inserted.nodes["block1_conv1"].frozen
    assert structure_key(inserted, new_group) == structure_key(graph, graph.groups[group.id])

    source, copy = compile_graph(graph), compile_graph(inserted)
    weights = {key.replace("layer1.0.", "block1."): value for key, value in source.state_dict().items()}
    assert "block1.conv1.weight" in copy.state_dict() and weights.keys() == copy.state_dict().keys()
    copy.load_state_dict(weights)
    source.eval(), copy.eval()
    image = example_input(graph, 2)
    torch.testing.assert_close(copy(image), source(image), rtol=0, atol=0)
    assert analyze(inserted).valid


def test_members_are_laid_out_from_the_origin_and_names_stay_unique():
    graph, group = network()
    for index, node_id in enumerate(group.members):
        graph.set_ui(node_id, x=100 + 260 * index, y=40.5)
    template = template_from_group(graph, group)
    assert template["layout"]["conv1"] == [0, 0] and template["layout"]["bn1"] == [260, 0]
    again = insert_template(graph, template, "block1", origin=(1000, 500))
    clash = insert_template(graph, template, "block1_conv1", origin=(0, 0))  # its names are taken: fresh ones
    assert [graph.nodes[n].ui for n in list(again.members)[:2]] == [{"x": 1000, "y": 500}, {"x": 1260, "y": 500}]
    assert again.ui == {"x": 1000, "y": 500}
    assert len(set(clash.members)) == 7 and not set(clash.members) & set(again.members)
    assert all(graph.nodes[n].name.startswith("block1_conv1_") for n in clash.members)
    before = (list(graph.nodes), len(graph.edges), list(graph.groups))
    with pytest.raises(GraphError, match="clashes with the block 'layer1.0'"):
        insert_template(graph, template, "layer1.0")
    assert (list(graph.nodes), len(graph.edges), list(graph.groups)) == before


def test_the_same_graph_and_arguments_give_the_same_ids():
    graph, group = network()
    template = template_from_group(graph, group)
    first, second = graph.copy(), graph.copy()
    made = insert_template(first, template, "block2", (0, 0)), insert_template(second, template, "block2", (0, 0))
    assert made[0].members == made[1].members and made[0].id == made[1].id


def valid_template() -> dict:
    builder = GraphBuilder()
    builder.add("input", "input", channels=16, height=8, width=8)
    bottleneck(builder, "b", 16, 4)
    return template_from_group(builder.graph, group_as_block(builder.graph, "b", "layer1.0", "Bottleneck"))


@pytest.mark.parametrize("change, message", [
    (lambda t: t.update(format="convcanvas.project"), "block: format: this is not a ConvCanvas block"),
    (lambda t: t.update(version=9), "newer ConvCanvas (block format version 9"),
    (lambda t: t.update(type="my block"), "type: 'my block' is not a valid composite type name"),
    (lambda t: t["nodes"][1].update(type="batchnorm"), "nodes[1] (bn1).type: unknown block type 'batchnorm'"),
    (lambda t: t["nodes"][0]["params"].update(kernel_size=0), "nodes[0] (conv1).params.kernel_size:"),
    (lambda t: t["nodes"][0]["params"].update(kernal=3), "(conv1).params: Conv2d has no parameter 'kernal'"),
    (lambda t: t["nodes"][2].update(local="relu 1"), "nodes[2].local: 'relu 1' is not a valid name inside a block"),
    (lambda t: t["nodes"][2].update(local="conv1"), "nodes[2].local: two nodes are both called 'conv1'"),
    (lambda t: t["edges"].append(["conv1", "out", "ghost", "in"]), "refers to node 'ghost', which is not in this"),
    (lambda t: t["edges"].append(["conv3", "out", "conv1", "in"]), "would make a cycle"),
    (lambda t: t.update(inputs=[[["conv1", "side"]]]), "inputs[0]: conv1 has no input port 'side'"),
    (lambda t: t.update(output="nowhere"), "output: 'nowhere' is not a node of this block"),
    (lambda t: t["layout"].update(conv1=[0]), "layout.conv1: expected [x offset, y offset]"),
    (lambda t: t["nodes"].append({"local": "source", "type": "input"}), "cannot hold an Input node"),
])
def test_validation_names_what_is_wrong_and_where(change, message):
    template = valid_template()
    validate_template(template)  # the unchanged one is fine
    change(template)
    with pytest.raises(BlockFileError) as caught:
        validate_template(template)
    text = str(caught.value)
    assert message in text and "\n" not in text


def test_the_library_lists_sorts_refuses_overwrites_and_deletes(tmp_path):
    library = BlockLibrary(tmp_path / "blocks")
    assert library.entries() == []  # no folder yet
    template = valid_template()
    library.save(template)
    library.save(dict(template, type="aardvark", description="lower case sorts first"))
    with pytest.raises(FileExistsError, match="already has a block called 'Bottleneck'"):
        library.save(dict(template, description="other"))
    library.save(dict(template, description="newer"), replace=True)
    entries = library.entries()
    assert [(e.type, e.node_count, e.broken) for e in entries] == [("aardvark", 10, False), ("Bottleneck", 10, False)]
    assert entries[1].description == "newer" and "Bottleneck" in library
    assert library.delete("aardvark") and not library.delete("aardvark")
    assert [e.type for e in library.entries()] == ["Bottleneck"]
    with pytest.raises(BlockFileError, match="no block called 'aardvark'"):
        library.load("aardvark")


def test_broken_files_are_listed_as_broken_with_their_reason(tmp_path):
    library = BlockLibrary(tmp_path)
    library.save(valid_template())
    (tmp_path / "Half.block.json").write_text('{"format": "convcanvas.block", "vers')
    wrong = dict(valid_template(), type="Other")
    (tmp_path / "Renamed.block.json").write_text(json.dumps(wrong))
    (tmp_path / "Future.block.json").write_text(json.dumps(dict(valid_template(), type="Future", version=7)))
    entries = {entry.type: entry for entry in library.entries()}
    assert not entries["Bottleneck"].broken
    assert "Half.block.json: not a valid JSON file (line 1" in entries["Half"].problem
    assert "holds the block 'Other'; rename the file to Other.block.json" in entries["Renamed"].problem
    assert "newer ConvCanvas" in entries["Future"].problem
    with pytest.raises(BlockFileError, match="Half.block.json: not a valid JSON"):
        library.load("Half")


def test_the_squeeze_excite_starter_computes_torchvisions_squeeze_excitation():
    import torchvision

    from engine.starter_blocks import SE_CHANNELS, SE_SQUEEZED, squeeze_excite_template

    builder = GraphBuilder()
    builder.add("input", "input", channels=SE_CHANNELS, height=5, width=7)
    group = insert_template(builder.graph, squeeze_excite_template(), "se")
    for slot in group.inputs:
        for member, port in slot:
            builder.graph.connect("input", member, dst_port=port)
    builder.at(group.output).add("flatten", "flatten")
    builder.add("output", "output")
    report = analyze(builder.graph)
    assert report.valid and group.type == "SqueezeExcite64"
    assert sorted(builder.graph.nodes[n].type for n in group.members) == [
        "activation", "activation", "conv2d", "conv2d", "multiply", "spatial_mean"]
    reference = torchvision.ops.SqueezeExcitation(SE_CHANNELS, SE_SQUEEZED).eval()
    model = compile_graph(builder.graph).eval()
    model.load_state_dict({f"se.{key}": value for key, value in reference.state_dict().items()}, strict=True)
    image = torch.randn(2, SE_CHANNELS, 5, 7)
    torch.testing.assert_close(model(image), reference(image).flatten(1), rtol=0, atol=1e-6)
    assert report.total_params == sum(p.numel() for p in reference.parameters())


def test_starter_blocks_are_offered_once_so_a_deleted_one_stays_deleted(tmp_path):
    from engine.starter_blocks import offer_starter_blocks

    root = tmp_path / "blocks"
    (written,) = offer_starter_blocks(root)
    library = BlockLibrary(root)
    assert written.name == "SqueezeExcite64.block.json" and [e.type for e in library.entries()] == ["SqueezeExcite64"]
    assert library.delete("SqueezeExcite64")
    assert offer_starter_blocks(root) == [] and library.entries() == []
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert offer_starter_blocks(blocked) == []  # cannot be written: nothing, and no error
