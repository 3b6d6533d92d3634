"""The Textual app: screens, widgets, dialogs, the live worker; the renderers it shares with --plain are in render/."""
