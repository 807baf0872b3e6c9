"""Quality gates (GX Core on pandas frames) between layers, and atomic versioned publication.

Exceptions::

    GateFailed (RuntimeError)    a critical expectation failed; .details names suite, check,
                                 dataset and sample keys (tokens / row ids only)
    SuiteError (ValueError)      a suite file in expectations/ is missing or malformed
    PublishError (RuntimeError)  publish or rollback refused (failed gates, unknown version)

``publish`` itself lives in ``shared_exchange.quality.publish`` (the module keeps the name).
"""

from shared_exchange.quality.gates import (
    GateFailed,
    GateResult,
    LayerResult,
    gate_layer,
    gate_raw,
    run_gate,
)
from shared_exchange.quality.publish import (
    Build,
    PublishError,
    abandon,
    current,
    current_path,
    prepare_next,
    rollback,
    start_build,
    versions,
)
from shared_exchange.quality.suites import SuiteError

__all__ = [
    "Build",
    "GateFailed",
    "GateResult",
    "LayerResult",
    "PublishError",
    "SuiteError",
    "abandon",
    "current",
    "current_path",
    "gate_layer",
    "gate_raw",
    "prepare_next",
    "rollback",
    "run_gate",
    "start_build",
    "versions",
]
