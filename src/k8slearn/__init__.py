"""k8slearn: learn and drill Kubernetes Services and NetworkPolicies from a terminal."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("k8slearn")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
