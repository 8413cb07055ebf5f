"""The sentence encoder in ONNX Runtime, run by both halves of the plugin.

The Rasa server's NLU features (``rasa_hybrid.nlu``) and the action server's
knowledge index and grounding (``rasa_hybrid.llm``) compute the same vectors
with it; it imports nothing from either.
"""
