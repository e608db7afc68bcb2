"""A kubeconfig naming the practice cluster, written where only the learner can read it.

kubectl finds the stand-in server through it: cluster `k8slearn-practice` at
the server's https URL with the run's own certificate as its only authority, a
user holding the run's bearer token, and a context whose namespace is the
exercise's, so `kubectl get pods` looks where the exercise happens.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import yaml

CLUSTER = "k8slearn-practice"
USER = "k8slearn-learner"
CONTEXT = "k8slearn-practice"


def kubeconfig_text(
    server: str, token: str, namespace: str = "default", certificate_authority: str | None = None
) -> str:
    """The kubeconfig as YAML text; `certificate_authority` is the server's certificate (PEM)."""
    cluster: dict[str, str] = {"server": server}
    if certificate_authority:
        cluster["certificate-authority-data"] = base64.b64encode(
            certificate_authority.encode()
        ).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CLUSTER, "cluster": cluster}],
        "users": [{"name": USER, "user": {"token": token}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CLUSTER, "user": USER, "namespace": namespace},
            }
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)


def write_kubeconfig(
    path: Path | str,
    server: str,
    token: str,
    namespace: str = "default",
    certificate_authority: str | None = None,
) -> Path:
    """Write the kubeconfig to `path` with mode 0600 (it holds the token); return the path.

    Without `certificate_authority`, the certificate of the running practice server at
    `server` is used.
    """
    if certificate_authority is None:
        from k8slearn.practice.server import certificate_authority_for

        certificate_authority = certificate_authority_for(server)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(target, flags, 0o600)
    try:
        if hasattr(os, "fchmod"):  # an existing file keeps its mode through O_CREAT
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            fd = -1
            handle.write(kubeconfig_text(server, token, namespace, certificate_authority))
    finally:
        if fd != -1:
            os.close(fd)
    return target
