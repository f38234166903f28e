"""Every client's update at the server, stacked: what aggregators that look at each update
(a coordinate-wise median, a filter of colluding clients) start from.

No sum or mean intrinsic gives the server every update. TFF 0.87's `tff.federated_aggregate`
does: its accumulator here is the stack of updates (and their weights) received so far,
tensors whose first dimension (clients) is left unknown, so a round stacks however many
clients reported (fewer after dropouts, more when device-log clients join). The rows come
in the order the clients arrive: the round's sampled clients, by id.

Clients with weight 0 are left out: TFF's client work gives weight 0 to an update it zeroed
because it was not finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf
import tensorflow_federated as tff


@dataclass(frozen=True)
class UpdateStack:
    """Stacks client values of `value_type` with their weights of `weight_type`.

    `type` is the stack's type at the server: `(values, weights)`, where `values` has
    `value_type`'s structure with a leading clients dimension on every tensor, and
    `weights` is a vector with one weight per stacked client.
    """

    value_type: tff.types.Type
    weight_type: tff.types.Type

    @property
    def type(self) -> tff.types.Type:
        value_specs = tff.types.type_to_tf_tensor_specs(self.value_type)
        weight_spec = tff.types.type_to_tf_tensor_specs(self.weight_type)
        return tff.types.tensorflow_to_type((
            tf.nest.map_structure(lambda spec: tf.TensorSpec([None, *spec.shape], spec.dtype),
                                  value_specs),
            tf.TensorSpec([None], weight_spec.dtype)))

    def collect(self, value: tff.Value, weight: tff.Value) -> tff.Value:
        """Inside a federated computation: the clients' `value`s and `weight`s (placed at
        CLIENTS), stacked at the SERVER."""
        value_specs = tff.types.type_to_tf_tensor_specs(self.value_type)
        weight_spec = tff.types.type_to_tf_tensor_specs(self.weight_type)
        stack_type = self.type

        @tff.tensorflow.computation
        def empty():
            return (tf.nest.map_structure(lambda spec: tf.zeros([0, *spec.shape], spec.dtype),
                                          value_specs),
                    tf.zeros([0], weight_spec.dtype))

        @tff.tensorflow.computation(stack_type, (self.value_type, self.weight_type))
        def accumulate(stack, value_and_weight):
            value, weight = value_and_weight
            values, weights = stack
            return tf.cond(
                weight > 0,
                lambda: (tf.nest.map_structure(
                    lambda rows, row: tf.concat([rows, row[None]], axis=0), values, value),
                    tf.concat([weights, weight[None]], axis=0)),
                lambda: (values, weights))

        @tff.tensorflow.computation(stack_type, stack_type)
        def merge(first, second):
            return tf.nest.map_structure(lambda a, b: tf.concat([a, b], axis=0), first, second)

        @tff.tensorflow.computation(stack_type)
        def keep(stack):
            return stack

        return tff.federated_aggregate(tff.federated_zip((value, weight)), empty(),
                                       accumulate, merge, keep)
