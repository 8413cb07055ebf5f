"""rasa-hybrid: Rasa keeps the known tasks, a guarded LLM takes the open-ended turns.

The package has two halves that run in two Python environments: ``nlu``,
``encoders``, ``channels``, ``trackers``, ``server`` and ``patches`` inside the
Rasa server (extra ``rasa``); ``actions``, ``llm``, ``guards`` and
``providers`` inside the action server (extra ``actions``). Importing a
module loads no model: models load on first use.
"""

__version__ = "0.1.0"
