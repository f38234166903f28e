"""Compressed uploads: client updates uniformly quantized and bit-packed before they leave.

One encoder serves both the training process (inside TFF's `EncodedSumFactory`) and the
byte count reported in summary.json, so the reported size is what that encoder produces.
Weight matrices are quantized to `bits` per value between their own minimum and maximum,
with stochastic rounding (unbiased, as in TFF's `compression_aggregator`); bias vectors
are small and sensitive, and go as float32.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf
import tensorflow_federated as tff
from tensorflow_model_optimization.python.core.internal import tensor_encoding as te

from federated.privacy.options import PrivacyConfig

FLOAT32_BYTES = 4


def encoder(spec: tf.TensorSpec, *, bits: int) -> te.core.GatherEncoder:
    """The encoder of one weight tensor of a client update."""
    if spec.shape.rank >= 2:
        return te.encoders.as_gather_encoder(te.encoders.uniform_quantization(bits), spec)
    return te.encoders.as_gather_encoder(te.encoders.identity(), spec)


def quantized_sum(bits: int) -> tff.aggregators.UnweightedAggregationFactory:
    """Sums client updates that were sent quantized to `bits` bits per matrix value."""
    return tff.aggregators.EncodedSumFactory(lambda spec: encoder(spec, bits=bits))


def encoded_bytes(weights: Sequence[np.ndarray], *, bits: int) -> int:
    """Bytes a client uploads for an update shaped like `weights`, encoded with `bits` bits.

    Encodes `weights` with the training encoder and counts the bytes of every tensor it
    produces (bit-packed values plus each matrix's min and max). The count depends only on
    the shapes, so any update of the model, or the model itself, gives the same number.
    """
    total = 0
    for value in weights:
        spec = tf.TensorSpec(np.shape(value), tf.float32)
        tensor_encoder = encoder(spec, bits=bits)
        encode_params, _, _ = tensor_encoder.get_params(tensor_encoder.initial_state())
        encoded, _ = tensor_encoder.encode(tf.constant(value, tf.float32), encode_params)
        total += sum(t.numpy().nbytes for t in tf.nest.flatten(encoded))
    return total


def float32_bytes(weights: Sequence[np.ndarray]) -> int:
    """Bytes of an update shaped like `weights` sent as plain float32."""
    return FLOAT32_BYTES * sum(int(np.size(value)) for value in weights)


def upload_summary(weights: Sequence[np.ndarray], privacy: PrivacyConfig) -> dict[str, Any]:
    """The `communication` block of summary.json: what one client update costs to upload.

    Counts the model update only (not the few scalars the robust and DP steps add). A
    secure sum encodes each value as a 32-bit integer: as large as float32, and the secure
    aggregation protocol's own masks and key exchange come on top.
    """
    uncompressed = float32_bytes(weights)
    bits = privacy.compress_bits
    if bits is not None:
        encoding = f"{bits}-bit uniform quantization of weight matrices, bit-packed"
    elif privacy.secure_aggregation:
        encoding = "32-bit fixed point (secure sum)"
    else:
        encoding = "float32"
    return {
        "encoding": encoding,
        "bytes_per_update": uncompressed if bits is None else encoded_bytes(weights, bits=bits),
        "uncompressed_bytes_per_update": uncompressed,
        "parameters": sum(int(np.size(value)) for value in weights),
    }
