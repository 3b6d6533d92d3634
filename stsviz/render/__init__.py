"""Textual-free renderers shared by the screen and the one-shot `--plain`/`--json` output.

Rows of cells, the detail text of a pod, ages and offsets, and a whole frame
on stdout. Rich `Text` and `Style` are allowed here; Textual is not, so the
one-shot commands print without importing the app.
"""
