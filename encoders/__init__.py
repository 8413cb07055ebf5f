"""Code that both Python environments run: the sentence encoder in ONNX Runtime.

The Rasa server (Python 3.10, ``components/``) and the action server (Python
3.11, ``actions/``) share no installed package; they share this folder, which
imports nothing from either.
"""
