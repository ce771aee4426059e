"""Beam's inference API (``RunInference``, ``ModelHandler``), imported without torch.

``apache_beam.ml.inference.base`` tries to import its optional ``ModelManager``
(for ``use_model_manager=True``, which mentionwatch never sets), and that module
imports torch and scipy at module level: about 220 MB of resident memory and a
second of start-up in every scan, although the int8 fast path classifies
without torch. Beam treats the module as optional: when the import fails,
``ModelManager`` stays ``None``. The module is marked absent for the whole
process before the first Beam ML import, so torch stays out until a torch
model loads; a pipeline that set ``use_model_manager`` in the same process
would fail to import it (mentionwatch never does). It only works where this
module is imported before Beam's: the scan, monitor and backfill processes
and the DirectRunner's in-process workers do; a worker that unpickles Beam's
inference step first (multi-process or remote runners) may load torch. The
same ``except`` branch also drops Beam's handle on ``resource`` (it reads
peak memory when a model loads, and warns without it), so it is put back.
Import Beam's inference names from here.
"""

import sys

sys.modules.setdefault("apache_beam.ml.inference.model_manager", None)

# These imports must follow the sys.modules entry above (that is the point of this module).
from apache_beam.ml.inference import base  # noqa: E402
from apache_beam.ml.inference.base import (  # noqa: E402
    KeyedModelHandler,
    ModelHandler,
    PredictionResult,
    RunInference,
)

try:
    import resource
except ImportError:  # not on this platform; Beam copes without it
    resource = None
if base.resource is None:
    base.resource = resource

__all__ = ["KeyedModelHandler", "ModelHandler", "PredictionResult", "RunInference"]
