"""The footer: the screen's keys in the order of its bindings, each whole or not at all.

Textual's Footer lays its keys out in a row and cuts the one at the edge in
the middle of a word (`r Rest▏^p palette` at 80 columns). This one leaves out
every key from the first that does not fit whole, so the bindings' order is
their priority: at 80 columns the first few, at 160 all of them. `?` lists
every key, whatever the footer has room for.
"""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Footer


class KeysFooter(Footer):
    """Textual's Footer, with the keys that do not fit whole left out rather than cut."""

    async def recompose(self) -> None:
        await super().recompose()  # the bindings changed: new keys, all shown until fitted
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _width(self, child: Widget) -> int:
        """The columns `child` takes in the row: its text, padding, border and margin."""
        styles = child.styles
        return child.get_content_width(self.size, self.app.size) + styles.gutter.width + styles.margin.width

    def _fit(self) -> None:
        """Show the keys, in order, while each fits whole beside the command palette's key (docked right)."""
        palette = [child for child in self.children if child.has_class("-command-palette")]
        room = self.size.width - sum(self._width(key) for key in palette)
        fits = True
        for child in self.children:
            if child in palette:
                continue
            room -= self._width(child)
            fits = fits and room >= 0
            child.display = fits
