"""Extract the strict OpenAPI shapes k8slearn validates against.

The shapes come from the `kubernetes-validate` package, which bundles the
Kubernetes OpenAPI schemas in a strict form (unknown fields rejected, as
`kubectl apply` does with strict field validation). Shipping the whole
package would add about 100 MB; k8slearn needs eight kinds, so this script
copies only their definitions, without descriptions, into
`src/k8slearn/manifests/openapi/`. Run it by hand when moving to a newer
Kubernetes release:

    pip install kubernetes-validate
    python scripts/vendor_openapi.py 1.37.0
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

KINDS = {
    ("v1", "Service"): "service-v1.json",
    ("networking.k8s.io/v1", "NetworkPolicy"): "networkpolicy-networking-v1.json",
    ("v1", "Namespace"): "namespace-v1.json",
    ("v1", "Pod"): "pod-v1.json",
    ("apps/v1", "Deployment"): "deployment-apps-v1.json",
    ("apps/v1", "StatefulSet"): "statefulset-apps-v1.json",
    ("discovery.k8s.io/v1", "EndpointSlice"): "endpointslice-discovery-v1.json",
    ("v1", "Endpoints"): "endpoints-v1.json",
}
DROP = {"description", "$schema", "$id"}


def _strip(node):
    if isinstance(node, dict):
        return {
            k: _strip(v)
            for k, v in node.items()
            if k not in DROP
            and not k.startswith("x-kubernetes-group")
            and k not in ("x-kubernetes-patch-merge-key", "x-kubernetes-patch-strategy")
        }
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def main(version: str) -> None:
    base = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    folder = base / f"v{version}-local-strict"
    defs = json.loads((folder / "_definitions.json").read_text())["$defs"]
    needed: dict[str, dict] = {}

    def collect(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    name = _ref_name(value)
                    if name not in needed:
                        needed[name] = defs[name]
                        collect(defs[name])
                else:
                    collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    roots = {}
    for (api_version, kind), filename in KINDS.items():
        root = json.loads((folder / filename).read_text())
        collect(root)
        roots[f"{api_version} {kind}"] = root

    def relink(node):
        if isinstance(node, dict):
            return {
                k: (f"#/definitions/{_ref_name(v)}" if k == "$ref" else relink(v))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [relink(v) for v in node]
        return node

    out = {
        "kubernetesVersion": version,
        "source": "kubernetes-validate strict schemas",
        "kinds": relink(_strip(roots)),
        "definitions": relink(_strip(needed)),
    }
    target = Path(__file__).resolve().parent.parent / "src/k8slearn/manifests/openapi/strict.json"
    target.write_text(json.dumps(out, sort_keys=True, separators=(",", ":")))
    print(f"wrote {target.name}: {len(roots)} kinds, {len(needed)} definitions")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "1.37.0")
