"""Layers as forward/backward pairs: ``forward(...) -> (out, cache)``, ``backward(dout, cache)``.

One module per operation. The ``*_naive`` convolution and pooling are the loop versions students
write; the ``*_fast`` ones compute the same results quickly and are what networks train with.
"""

from .activations import (
    elu_backward,
    elu_forward,
    leaky_relu_backward,
    leaky_relu_forward,
    maxout_backward,
    maxout_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)
from .affine import affine_backward, affine_forward
from .batchnorm import batchnorm_backward, batchnorm_forward
from .conv import conv_backward_naive, conv_forward_naive, conv_output_shape, zero_pad
from .conv_fast import conv_backward_fast, conv_forward_fast, im2col
from .dropout import dropout_backward, dropout_forward
from .flatten import flatten_backward, flatten_forward
from .pool import max_pool_backward_naive, max_pool_forward_naive, pool_output_shape
from .pool_fast import max_pool_backward_fast, max_pool_forward_fast

__all__ = [
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "leaky_relu_forward",
    "leaky_relu_backward",
    "sigmoid_forward",
    "sigmoid_backward",
    "tanh_forward",
    "tanh_backward",
    "elu_forward",
    "elu_backward",
    "maxout_forward",
    "maxout_backward",
    "dropout_forward",
    "dropout_backward",
    "flatten_forward",
    "flatten_backward",
    "conv_forward_naive",
    "conv_backward_naive",
    "conv_forward_fast",
    "conv_backward_fast",
    "conv_output_shape",
    "zero_pad",
    "im2col",
    "max_pool_forward_naive",
    "max_pool_backward_naive",
    "max_pool_forward_fast",
    "max_pool_backward_fast",
    "pool_output_shape",
    "batchnorm_forward",
    "batchnorm_backward",
]
