"""k8slearn: learn and drill Kubernetes Services and NetworkPolicies from a terminal."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # Looked up on first use only: importlib.metadata costs ~50 ms at start-up.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("k8slearn")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0"
    raise AttributeError(name)
