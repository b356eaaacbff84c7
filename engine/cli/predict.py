"""``convcanvas predict CKPT IMAGE... [--top K] [--json]``: classify image files, or segment them (a mask PNG
beside each image, and each class's share of its pixels) when the checkpoint's task is segmentation."""
from __future__ import annotations

import json

from ..compiler import input_shape
from ..predict import Prediction, PredictionError, predict_images
from .common import CommandError, open_checkpoint


def register(subparsers) -> None:
    parser = subparsers.add_parser("predict", help="classify image files with a trained checkpoint")
    parser.add_argument("checkpoint", help="a checkpoint file (.pt) saved by training")
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="image files (PNG, JPEG, ...); any size or colour mode is adapted to the network")
    parser.add_argument("--top", type=int, default=3, metavar="K", help="how many classes to show per image (3)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.set_defaults(handler=run)


def run(args) -> int:
    if args.top < 1:
        raise CommandError(f"--top must be at least 1, got {args.top}")
    checkpoint, model = open_checkpoint(args.checkpoint)
    if checkpoint.project.task == "segmentation":
        return run_segmentation(args, checkpoint, model)
    try:
        predictions = predict_images(
            model, args.images, input_shape=input_shape(checkpoint.project.graph), mean=checkpoint.mean,
            std=checkpoint.std, class_names=checkpoint.class_names, top_k=args.top)
    except PredictionError as error:
        raise CommandError(f"{args.checkpoint}: {error}") from None
    if args.json:
        print(json.dumps([prediction.to_dict() for prediction in predictions], ensure_ascii=False))
    else:
        print("\n\n".join(prediction_table(prediction) for prediction in predictions))
    return 0 if all(prediction.ok for prediction in predictions) else 1


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
    if args.json:
        print(json.dumps([prediction.to_dict() for prediction in predictions], ensure_ascii=False))
    else:
        print("\n\n".join(mask_table(prediction) for prediction in predictions))
    return 0 if all(prediction.ok for prediction in predictions) else 1


def mask_table(prediction) -> str:
    if not prediction.ok:
        return f"{prediction.path}: error: {prediction.error}"
    width = max(len(name) for name, _ in prediction.shares)
    rows = [f"  {name.ljust(width)}  {share:7.2%}" for name, share in prediction.shares]
    return "\n".join([f"{prediction.path} → mask {prediction.mask_path}", *rows])
