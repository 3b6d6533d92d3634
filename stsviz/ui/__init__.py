"""The Textual app: screens, widgets and the row renderer they share with --plain."""
