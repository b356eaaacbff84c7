"""The Data view: the chosen dataset's samples, class balance, what the network receives, statistics,
problems and, after training, the hardest validation samples (engine.data does the work; this room shows it)."""
