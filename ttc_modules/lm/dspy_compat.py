"""The few DSPy internals :class:`ttc_modules.lm.TTCLM` builds on, imported in one place.

``dspy.LM.__call__`` is prepare -> execute -> finalize (``acall``: ``aexecute``). TTCLM runs the
same three steps with its own retry loop around ``execute``, adds the backend to the call's cache key
(``PreparedCall``) and reads that key to keep usage across cache hits; a search round's list request
(``prompt_lists.py``) makes each prompt's ``CallResult`` as DSPy would from its own response.
These names are stable within DSPy 3.4 (pinned in pyproject.toml); a DSPy upgrade is checked here.
"""

from dspy.clients.call_result import CallResult
from dspy.clients.execution import IGNORED_CACHE_KEYS, PreparedCall, aexecute, execute, finalize, prepare

__all__ = ["IGNORED_CACHE_KEYS", "CallResult", "PreparedCall", "aexecute", "execute", "finalize", "prepare"]
