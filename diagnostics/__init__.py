"""Local (and remote-capable) diagnostics: collectors, runner, report model, health rules, renderers.

Qt-free and synchronous: every blocking call takes a timeout and a cancel token.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
