"""Panels and tool windows that show the network in other forms than the canvas."""
