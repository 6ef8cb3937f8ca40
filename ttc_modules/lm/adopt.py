"""A plain ``dspy.LM`` taken in as a :class:`~ttc_modules.lm.TTCLM`, so budgets and accounting hold for it.

Strategies count every call and enforce token and FLOPs limits in ``TTCLM.__call__``; a user who
configured ``dspy.configure(lm=dspy.LM(...))`` as usual would otherwise get ``spent`` all zeros and a
token budget never enforced. :func:`adopt` makes a ``TTCLM`` with the same model, endpoint, key,
sampling settings and cache setting (once per LM: the same wrapper every time). Any other LM (a
``TTCLM``, or a custom ``BaseLM``) is returned as it is.

Example:
    >>> import dspy
    >>> plain = dspy.LM("openai/my-model", api_base="http://127.0.0.1:8000/v1", temperature=0.5, cache=False)
    >>> taken = adopt(plain)
    >>> type(taken).__name__, taken.model, taken.kwargs["temperature"], adopt(plain) is taken
    ('TTCLM', 'openai/my-model', 0.5, True)
"""

from __future__ import annotations

import threading
import weakref

import dspy

from ttc_modules.lm.client import TTCLM

_ADOPTED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def adopt(lm):
    """``lm`` as a TTCLM when it is a plain ``dspy.LM``, else ``lm`` itself."""
    if isinstance(lm, TTCLM) or not isinstance(lm, dspy.LM):
        return lm
    with _LOCK:
        if lm not in _ADOPTED:
            _ADOPTED[lm] = TTCLM(lm.model, model_type=lm.model_type, cache=lm.cache, **lm.kwargs)
        return _ADOPTED[lm]
