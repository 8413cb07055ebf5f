"""Extensions rasa-sdk's action server loads by this package's name.

``python -m rasa_sdk`` imports ``rasa_sdk_plugins`` when it exists and calls
``init_hooks``; here it adds the ``/ready`` route (rasa_hybrid/actions/ready.py).
"""

from __future__ import annotations

import pluggy


def init_hooks(manager: pluggy.PluginManager) -> None:
    """Registers this project's hook implementations with rasa-sdk."""
    from rasa_hybrid.actions import ready

    manager.register(ready)
