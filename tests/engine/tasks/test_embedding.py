"""The embedding task (faces): the Output contract, the L2 Normalize block, the losses' wiring and the
verification / identification metrics against torchmetrics."""
from __future__ import annotations

import pytest
import torch
from pytorch_metric_learning import losses, miners
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchmetrics.classification import BinaryAUROC, BinaryROC

from engine import Graph, analyze, compile_graph
from engine.builders import GraphBuilder
from engine.codegen import python_source
from engine.tasks import EMBEDDING, task_for
from engine.tasks.embedding_ops import (EmbeddingLoss, EmbeddingMetrics, equal_error_rate, identification,
                                        nearest_neighbour_hits, pair_scores, tar_at_far)


def embedder(size: int = 16, dim: int = 8, normalize: bool = True, flat: bool = True) -> Graph:
    builder = GraphBuilder()
    builder.add("input", "input", channels=3, height=size, width=size)
    builder.add("conv2d", "conv", out_channels=8, kernel_size=3, padding=1)
    builder.add("activation", "relu", function="relu")
    if flat:
        builder.add("adaptiveavgpool2d", "pool", output_size=1)
        builder.add("flatten", "flatten")
        builder.add("dense", "embedding", out_features=dim)
        if normalize:
            builder.add("l2_normalize", "normalize")
    builder.add("output", "output")
    return builder.graph


def test_embedding_is_a_task_and_a_map_output_is_an_error_on_the_output_card_saying_what_to_add():
    assert task_for("embedding") is EMBEDDING
    graph = embedder(flat=False)
    report = analyze(graph, task="embedding")
    (issue,) = report.errors
    assert issue.node_id == graph.nodes_of_type("output")[0].id
    assert "an embedding Output needs a flat vector but relu gives 8×16×16" in issue.message
    assert "AdaptiveAvgPool2d" in issue.hint and "Flatten" in issue.hint and "L2 Normalize" in issue.hint
    assert analyze(embedder(), task="embedding").valid


def test_l2_normalize_block_shape_params_macs_and_values_equal_torch_and_it_exports():
    graph = embedder(dim=12)
    report = analyze(graph, task="embedding")
    node = graph.node_by_name("normalize")
    assert report.nodes[node.id].output_shape == (12,)
    model = compile_graph(graph, report)
    assert sum(p.numel() for p in model.parameters()) == report.total_params
    with FlopCounterMode(display=False) as counter:
        model(torch.randn(2, 3, 16, 16))
    assert report.total_macs == counter.get_total_flops() // 4
    x = torch.randn(5, 12)
    block = model.get_submodule(graph.module_path(node.id))
    torch.testing.assert_close(block(x), nn.functional.normalize(x, dim=1), rtol=0, atol=0)
    assert torch.allclose(model(torch.randn(3, 3, 16, 16)).norm(dim=1), torch.ones(3))
    assert "class L2Normalize" in python_source(graph)
    # A map into L2 Normalize is refused with the fix.
    bad = GraphBuilder()
    bad.add("input", "input", channels=3, height=8, width=8)
    bad.add("l2_normalize", "normalize")
    bad.add("output", "output")
    message = str(analyze(bad.graph).errors[0])
    assert "L2 Normalize needs a flat input" in message


def test_the_triplet_loss_is_pytorch_metric_learnings_with_the_batch_hard_miner():
    torch.manual_seed(0)
    embeddings, labels = torch.randn(16, 8), torch.arange(4).repeat_interleave(4)
    ours = EmbeddingLoss("triplet")(embeddings, labels)
    reference = losses.TripletMarginLoss(margin=0.2)(embeddings, labels, miners.BatchHardMiner()(embeddings, labels))
    torch.testing.assert_close(ours, reference)
    contrastive = EmbeddingLoss("contrastive")(embeddings, labels)
    torch.testing.assert_close(contrastive, losses.ContrastiveLoss(pos_margin=0.0, neg_margin=1.0)(embeddings, labels))


def test_arcface_has_learned_centres_and_validation_scores_unseen_identities_with_the_triplet_loss():
    loss = EmbeddingLoss("arcface", num_classes=6, embedding_size=8)
    (name, weight), = loss.named_parameters()
    assert name == "loss.W" and weight.shape == (8, 6)
    embeddings = torch.randn(12, 8, requires_grad=True)
    loss(embeddings, torch.arange(6).repeat(2)).backward()
    assert weight.grad is not None and weight.grad.abs().sum() > 0
    assert isinstance(loss.validation.loss, losses.TripletMarginLoss)
    assert EMBEDDING.validation_loss(loss) is loss.validation
    plain = EmbeddingLoss("triplet")
    assert plain.validation is plain
    with pytest.raises(ValueError, match="unknown embedding loss 'cosface'"):
        EmbeddingLoss("cosface")


def test_verification_metrics_equal_torchmetrics_on_every_pair():
    torch.manual_seed(1)
    labels = torch.arange(10).repeat_interleave(4)
    embeddings = torch.randn(10, 6)[labels] + 0.6 * torch.randn(40, 6)
    metrics = EmbeddingMetrics()
    metrics.update(embeddings[:17], labels[:17])
    metrics.update(embeddings[17:], labels[17:])
    result = metrics.compute()
    scores, same = pair_scores(embeddings, labels)
    assert len(scores) == 40 * 39 // 2 and int(same.sum()) == 10 * 6
    unit = nn.functional.normalize(embeddings, dim=1)
    assert torch.allclose(scores[0], unit[0] @ unit[1])
    # torchmetrics takes probabilities: the cosine mapped to 0..1 (its ROC and AUC are the cosine's).
    assert result["val_auc"] == pytest.approx(float(BinaryAUROC()((scores + 1) / 2, same)))
    fpr, tpr, thresholds = BinaryROC()((scores + 1) / 2, same)
    thresholds = thresholds * 2 - 1
    assert result["val_roc"]["fpr"][0] == 0.0 and result["val_roc"]["tpr"][-1] == 1.0
    eer, threshold = equal_error_rate(fpr, tpr, thresholds)
    assert result["val_eer"] == pytest.approx(eer)
    # At the EER threshold, the false accepts and false rejects are (nearly) the same share.
    accepted = scores >= threshold
    far = float(accepted[same == 0].float().mean())
    frr = float((~accepted[same == 1]).float().mean())
    assert abs(far - frr) < 0.05 and abs((far + frr) / 2 - eer) < 0.03
    assert result["val_tar_at_far"] == pytest.approx(float(tpr[fpr <= 1e-3].max()))
    assert len(result["val_points"]) == 40 and result["val_point_labels"] == labels.tolist()


def test_eer_and_tar_at_far_on_a_hand_made_roc():
    fpr = torch.tensor([0.0, 0.0005, 0.01, 0.2, 1.0])
    tpr = torch.tensor([0.0, 0.4, 0.7, 0.8, 1.0])
    thresholds = torch.tensor([1.0, 0.9, 0.7, 0.5, 0.0])
    assert tar_at_far(fpr, tpr, 1e-3) == pytest.approx(0.4)
    eer, threshold = equal_error_rate(fpr, tpr, thresholds)
    assert eer == pytest.approx(0.2) and threshold == pytest.approx(0.5)


def test_identification_ranks_each_probe_against_the_first_image_of_every_identity():
    # Identities 0..5 lie on axes; probes of identity 0 lean towards identity 1 (second best).
    gallery = torch.eye(6)
    embeddings = torch.cat([gallery, gallery[:1] * 0.6 + gallery[1:2] * 0.8, gallery[2:3] * 0.9 + 0.1])
    labels = torch.tensor([0, 1, 2, 3, 4, 5, 0, 2])
    result = identification(embeddings, labels)
    assert result == {"val_top1": 0.5, "val_top5": 1.0}
    assert identification(embeddings[:4], labels[:4])["val_top5"] is None  # no probes: nothing to rank
    assert identification(torch.cat([gallery[:3], gallery[:1]]), torch.tensor([0, 1, 2, 0]))["val_top5"] is None


def test_listed_pairs_replace_all_pairs():
    embeddings = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    labels = torch.tensor([0, 0, 1, 1])
    scores, same = pair_scores(embeddings, labels, [(0, 1), (0, 2)])
    assert same.tolist() == [1, 0] and scores[0] > scores[1]
    metrics = EmbeddingMetrics(pairs=[(0, 1), (0, 2), (2, 3), (1, 3)])
    metrics.update(embeddings, labels)
    assert metrics.compute()["val_auc"] == 1.0


def test_batch_accuracy_is_leave_one_out_nearest_neighbour_among_images_with_a_partner():
    embeddings = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.8, 0.3], [0.5, 0.5]])
    labels = torch.tensor([0, 0, 1, 1, 2])  # image 3's nearest is identity 0's; image 4 has no partner
    hits, counted = nearest_neighbour_hits(embeddings, labels)
    assert (int(hits), int(counted)) == (2, 4)


def test_nearest_neighbours_ranks_the_gallery_by_cosine_similarity():
    from engine.predict_embeddings import nearest_neighbours

    gallery = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7], [-1.0, 0.0]])
    found = nearest_neighbours(torch.tensor([1.0, 0.1]), gallery, k=3)
    assert [index for index, _ in found] == [0, 2, 1]
    assert found[0][1] == pytest.approx(float(nn.functional.cosine_similarity(gallery[:1], torch.tensor([[1.0, 0.1]]))))
    assert len(nearest_neighbours(torch.tensor([1.0, 0.0]), gallery, k=10)) == 4
