"""Verify answers on a real kind cluster: the offline model predicts, a cluster proves.

* `plan`     — what verify would create and probe (pure: no cluster, no client);
* `lookups`  — the DNS names it asks, what the model expects, reading `dig`'s answers;
* `compare`  — observed against predicted, cell by cell;
* `safety`   — which contexts and namespaces verify may touch;
* `kind`     — `k8slearn cluster up | down | status | doctor` (shells out to kind, docker, kubectl);
* `verify`   — the run itself, through the official kubernetes client;
* `commands` — the click commands the CLI registers.

Nothing here imports the kubernetes client at module level: the CLI imports
`commands` at start-up, and only a run that talks to a cluster pays for it.
"""

from __future__ import annotations

CLUSTER_NAME = "k8slearn"
KIND_CONTEXT = f"kind-{CLUSTER_NAME}"
MANAGED_BY_KEY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "k8slearn"
MANAGED_BY_SELECTOR = f"{MANAGED_BY_KEY}={MANAGED_BY_VALUE}"
# The namespaces every cluster has: verify never creates, relabels or deletes them.
BUILTIN_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# Verify's own namespace: the canary and the probe helpers live there.
HELPER_NAMESPACE = "k8slearn-verify"
# kind v0.24.0 (August 2024) is the first release whose default CNI, kindnet,
# enforces NetworkPolicy (through sigs.k8s.io/kube-network-policies).
MIN_KIND_VERSION = (0, 24, 0)
