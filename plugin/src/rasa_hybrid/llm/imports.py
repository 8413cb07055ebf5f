"""One thread at a time through transformers' lazy imports.

transformers resolves its names on first use; the language model and the
sentence encoder load on two threads side by side at start, and two threads
resolving them at once can see a module half initialised ("cannot import
name 'AutoTokenizer' from 'transformers'"). Both import under this lock.
"""

from __future__ import annotations

import threading

TRANSFORMERS_IMPORT = threading.RLock()
