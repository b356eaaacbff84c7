"""Composite blocks in the window: editing them (group, expand, rename), the room they make on
the canvas, the inspector's banner, the block guide, and the "My Blocks" library."""
