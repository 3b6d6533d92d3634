"""Where events come from: replay files (and, later, live watches). No Textual here."""
