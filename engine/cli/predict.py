"""``convcanvas predict CKPT IMAGE... [--top K] [--json]``: classify image files, or segment them (a mask PNG
beside each image, and each class's share of its pixels) when the checkpoint's task is segmentation, or
detect objects (each box's class, score and corners, and a PNG with the boxes drawn beside each image)
when it is detection, or compare two images (their cosine similarity and the verdict at the threshold) when
it is embedding."""
from __future__ import annotations

import json

from ..compiler import input_shape, input_window
from ..predict import Prediction, PredictionError, predict_images
from .common import CommandError, open_checkpoint


def register(subparsers) -> None:
    parser = subparsers.add_parser("predict", help="classify image files with a trained checkpoint")
    parser.add_argument("checkpoint", help="a checkpoint file (.pt) saved by training")
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="image files (PNG, JPEG, ...); any size or colour mode is adapted to the network")
    parser.add_argument("--top", type=int, default=3, metavar="K", help="how many classes to show per image (3)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--hash-names", dest="hash_names", action="store_true",
                        help="privacy: print a hash in place of each image's file name")
    parser.add_argument("--min-score", dest="min_score", type=float, default=0.3, metavar="S",
                        help="detection: show boxes scoring at least S, 0..1 (0.3)")
    parser.add_argument("--threshold", type=float, metavar="COSINE",
                        help="embedding: call two images the same identity from this cosine similarity (default: "
                             "the checkpoint's equal-error threshold)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    if args.top < 1:
        raise CommandError(f"--top must be at least 1, got {args.top}")
    if not 0 <= args.min_score <= 1:
        raise CommandError(f"--min-score must be from 0 to 1, got {args.min_score}")
    checkpoint, model = open_checkpoint(args.checkpoint)
    if checkpoint.project.task == "multilabel":
        return run_findings(args, checkpoint, model)
    if checkpoint.project.task == "segmentation":
        return run_segmentation(args, checkpoint, model)
    if checkpoint.project.task == "detection":
        return run_detection(args, checkpoint, model)
    if checkpoint.project.task == "embedding":
        return run_verification(args, checkpoint, model)
    try:
        predictions = predict_images(
            model, args.images, input_shape=input_shape(checkpoint.project.graph), mean=checkpoint.mean,
            std=checkpoint.std, class_names=checkpoint.class_names, top_k=args.top,
            window=input_window(checkpoint.project.graph))
    except PredictionError as error:
        raise CommandError(f"{args.checkpoint}: {error}") from None
    return _report(args, predictions, prediction_table)


def prediction_table(prediction: Prediction) -> str:
    if not prediction.ok:
        return f"{prediction.path}: error: {prediction.error}"
    width = max(len(name) for name, _ in prediction.top)
    rows = [f"  {rank}. {name.ljust(width)}  {probability:7.2%}"
            for rank, (name, probability) in enumerate(prediction.top, start=1)]
    return "\n".join([prediction.path, *rows])


def run_segmentation(args, checkpoint, model) -> int:
    from ..predict_masks import predict_masks

    predictions = predict_masks(model, args.images, input_shape=input_shape(checkpoint.project.graph),
                                mean=checkpoint.mean, std=checkpoint.std, class_names=checkpoint.class_names)
    return _report(args, predictions, mask_table)


def run_findings(args, checkpoint, model) -> int:
    """Each finding's probability; present at the operating thresholds the checkpoint's validation chose."""
    from ..predict_findings import predict_findings

    predictions = predict_findings(model, args.images, input_shape=input_shape(checkpoint.project.graph),
                                   mean=checkpoint.mean, std=checkpoint.std, finding_names=checkpoint.class_names,
                                   thresholds=checkpoint.metrics.get("val_threshold"),
                                   window=input_window(checkpoint.project.graph))
    return _report(args, predictions, findings_table)


def findings_table(prediction) -> str:
    if not prediction.ok:
        return f"{prediction.path}: error: {prediction.error}"
    width = max(len(name) for name, _, _ in prediction.findings)
    rows = [f"  {name.ljust(width)}  {p:7.2%}{'  present' if present else ''}"
            for name, p, present in prediction.findings]
    return "\n".join([prediction.path, *rows])


def _report(args, predictions, table) -> int:
    """Prints the predictions as JSON or as ``table``'s text; 1 when any image failed. With
    ``--hash-names`` each image's path is replaced by its hash first (engine.privacy)."""
    if getattr(args, "hash_names", False):
        from ..privacy import hashed_name

        for prediction in predictions:
            prediction.path = hashed_name(prediction.path)
    if args.json:
        print(json.dumps([prediction.to_dict() for prediction in predictions], ensure_ascii=False))
    else:
        print("\n\n".join(table(prediction) for prediction in predictions))
    return 0 if all(prediction.ok for prediction in predictions) else 1


def mask_table(prediction) -> str:
    if not prediction.ok:
        return f"{prediction.path}: error: {prediction.error}"
    width = max(len(name) for name, _ in prediction.shares)
    rows = [f"  {name.ljust(width)}  {share:7.2%}" for name, share in prediction.shares]
    return "\n".join([f"{prediction.path} → mask {prediction.mask_path}", *rows])


def run_detection(args, checkpoint, model) -> int:
    from ..predict_boxes import predict_boxes

    predictions = predict_boxes(model, args.images, input_shape=input_shape(checkpoint.project.graph),
                                mean=checkpoint.mean, std=checkpoint.std, class_names=checkpoint.class_names,
                                score_threshold=args.min_score)
    return _report(args, predictions, box_table)


def run_verification(args, checkpoint, model) -> int:
    from ..predict import ImageFileError
    from ..predict_embeddings import verify_files
    from ..tasks.embedding import DEFAULT_THRESHOLD

    if len(args.images) != 2:
        raise CommandError(f"an embedding checkpoint compares two images: give exactly two, not {len(args.images)}")
    threshold = args.threshold if args.threshold is not None else checkpoint.metrics.get("val_threshold")
    threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
    if not -1.0 <= threshold <= 1.0:
        raise CommandError(f"--threshold {threshold:g}: a cosine similarity lies between -1 and 1")
    try:
        result = verify_files(model, *args.images, input_shape(checkpoint.project.graph), checkpoint.mean,
                              checkpoint.std, threshold)
    except ImageFileError as error:
        raise CommandError(str(error)) from None
    if args.json:
        print(json.dumps({"first": result.first, "second": result.second, "similarity": result.similarity,
                          "threshold": result.threshold, "same": result.same}, ensure_ascii=False))
    else:
        print(f"{result.first} vs {result.second}: {result.verdict()}")
    return 0


def box_table(prediction) -> str:
    if not prediction.ok:
        return f"{prediction.path}: error: {prediction.error}"
    if not prediction.boxes:
        return f"{prediction.path} → {prediction.picture_path}\n  no boxes"
    width = max(len(box.name) for box in prediction.boxes)
    rows = [f"  {box.name.ljust(width)}  {box.score:5.2f}  {box.x0:7.1f} {box.y0:7.1f} {box.x1:7.1f} {box.y1:7.1f}"
            for box in prediction.boxes]
    return "\n".join([f"{prediction.path} → {prediction.picture_path}", *rows])
