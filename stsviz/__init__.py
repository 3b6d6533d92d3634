"""stsviz: Kubernetes StatefulSet rollouts in the terminal, live or replayed."""

__version__ = "0.1.0"
