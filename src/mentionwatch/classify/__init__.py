"""The mention classifier: model loading, the Beam handler, the decision."""

import sys

# apache_beam.ml.inference.base tries to import its optional ModelManager
# (for use_model_manager=True, which mentionwatch never sets) and so imports
# torch and scipy at module level: about 220 MB of resident memory and a
# second of start-up in every scan, even when the int8 fast path classifies
# without torch. Beam treats the module as optional (an ImportError leaves
# ModelManager None and imports it lazily where needed); marking it absent
# here, before any Beam ML import, keeps torch out until a torch model loads.
sys.modules.setdefault("apache_beam.ml.inference.model_manager", None)
