"""Extensions rasa-sdk's action server loads by this package's name.

``python -m rasa_sdk`` imports ``rasa_sdk_plugins`` when it exists and calls
``init_hooks``; this adds the rasa-hybrid plugin's ``/ready`` route.
"""

import pluggy


def init_hooks(manager: pluggy.PluginManager) -> None:
    """Registers the plugin's hook implementations with rasa-sdk."""
    from rasa_hybrid.actions import ready

    manager.register(ready)
