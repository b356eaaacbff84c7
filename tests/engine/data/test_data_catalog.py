"""Dataset specs: names, aliases, options and paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.data import DATASET_NAMES, DatasetError, load_dataset, parse_spec


def test_names_aliases_and_options_are_understood():
    assert parse_spec("digits").kind == "digits"
    assert parse_spec("Fashion_MNIST").kind == "fashion-mnist"
    assert parse_spec("CIFAR-10").kind == "cifar10"
    assert parse_spec("shapes").count == 2000
    assert parse_spec("shapes:5,000").count == 5000
    assert parse_spec("./digits").kind == "folder"
    assert parse_spec(Path("anything")).kind == "folder"
    with pytest.raises(DatasetError, match="takes no option"):
        parse_spec("mnist:10")


def test_unknown_names_list_the_known_ones():
    with pytest.raises(DatasetError) as error:
        load_dataset("imagenet", (3, 32, 32))
    for name in DATASET_NAMES:
        assert name in str(error.value)
