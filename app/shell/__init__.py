"""The window shell: how the main window sits on the screen, its docks, toolbar and start page."""
