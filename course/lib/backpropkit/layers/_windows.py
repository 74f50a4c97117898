"""The strided slices behind fast convolution and pooling.

Windows of size (HH, WW) stepping ``stride`` pixels apart give an output of (H_out, W_out).
Offset ``(row, col)`` inside a window is, across all windows at once, the strided slice
``[row : ... : stride, col : ... : stride]`` of the (padded) input: one array operation per
offset replaces a Python loop over every window.
"""

from __future__ import annotations


def offset_rows_cols(row: int, col: int, out_height: int, out_width: int, stride: int) -> tuple[slice, slice]:
    """The two spatial slices that pick the pixel at offset ``(row, col)`` of every window.

    Each slice stops just past its last pixel, so it never reaches beyond the array (the array
    API leaves out-of-bounds stops unspecified).
    """
    return (
        slice(row, row + stride * (out_height - 1) + 1, stride),
        slice(col, col + stride * (out_width - 1) + 1, stride),
    )


def offset_slice(row: int, col: int, out_height: int, out_width: int, stride: int) -> tuple:
    """Index of the pixel at offset ``(row, col)`` of every window, for arrays shaped (N, C, H, W)."""
    return (slice(None), slice(None), *offset_rows_cols(row, col, out_height, out_width, stride))
