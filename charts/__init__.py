"""Small chart builders: plain data in, plotly Figure out."""
