"""Small chart builders: plain data in, plotly Figure out."""

import html


def plain_label(text: object) -> str:
    """A user-typed name made safe for Plotly, which renders a few HTML tags in labels."""
    return html.escape(str(text), quote=False)
