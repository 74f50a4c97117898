"""backpropkit: the layered library behind the backpropagation course.

Layers are ``forward -> (out, cache)`` / ``backward(dout, cache) -> gradients`` pairs, losses
return ``(loss, dscores)``, update rules map ``(w, dw, state) -> (w, state)``. Every function
takes its array namespace from its inputs, so the same code runs on NumPy and CuPy.
"""

__version__ = "0.1.0"
