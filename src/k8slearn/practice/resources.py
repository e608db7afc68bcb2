"""The resources the practice cluster serves, and the discovery documents that name them.

kubectl learns what a cluster serves before it does anything: `kubectl get svc`
works only because discovery says `services` is namespaced, has the short name
`svc` and belongs to the category `all`. The facts here (kinds, plurals, short
names, categories, verbs, subresources) are those of a v1.37 API server
(kubernetes/kubernetes `pkg/registry/*/rest/storage_*.go` and each registry's
`ShortNames()`/`Categories()`), limited to the kinds the exercises need.

Two discovery forms exist. kubectl 1.37 asks `/api` and `/apis` for the
aggregated form first (`Accept: application/json;g=apidiscovery.k8s.io;v=v2;
as=APIGroupDiscoveryList,application/json`): one document per root naming every
resource. A client that asks only for `application/json` gets the legacy
`APIVersions`/`APIGroupList`, then `/api/v1` and `/apis/<group>/<version>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KUBERNETES_VERSION = "v1.37.0"

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
# Namespaces cannot be deleted as a collection (kubernetes/kubernetes pkg/registry/core/namespace).
NAMESPACE_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")
STATUS_VERBS = ("get", "patch", "update")

DISCOVERY_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


@dataclass(frozen=True)
class Resource:
    """One served resource (a kind in one group/version), as discovery describes it."""

    group: str  # "" for core
    version: str  # "v1"
    kind: str  # "Service"
    plural: str  # "services"
    singular: str  # "service"
    namespaced: bool
    short_names: tuple[str, ...]  # ("svc",)
    verbs: tuple[str, ...]
    categories: tuple[str, ...] = ()  # ("all",) where upstream has it
    subresources: tuple[str, ...] = ()  # "status", "scale"

    @property
    def group_version(self) -> str:
        """`v1` for core, `apps/v1` otherwise: the apiVersion of its objects."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """`services` or `deployments.apps`: how API errors name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def qualified_kind(self) -> str:
        """`Service` or `Deployment.apps`: how `Invalid` errors name the kind."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def base_path(self, namespace: str | None = None) -> str:
        """`/api/v1[/namespaces/NS]/services` or `/apis/apps/v1[...]/deployments`."""
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            root += f"/namespaces/{namespace}"
        return f"{root}/{self.plural}"


RESOURCES: tuple[Resource, ...] = (
    Resource("", "v1", "ConfigMap", "configmaps", "configmap", True, ("cm",), ALL_VERBS),
    Resource("", "v1", "Endpoints", "endpoints", "endpoints", True, ("ep",), ALL_VERBS),
    Resource("", "v1", "Event", "events", "event", True, ("ev",), ALL_VERBS),
    Resource(
        "",
        "v1",
        "Namespace",
        "namespaces",
        "namespace",
        False,
        ("ns",),
        NAMESPACE_VERBS,
        subresources=("status",),
    ),
    Resource("", "v1", "Node", "nodes", "node", False, ("no",), ALL_VERBS, (), ("status",)),
    Resource("", "v1", "Pod", "pods", "pod", True, ("po",), ALL_VERBS, ("all",), ("status",)),
    Resource(
        "", "v1", "Service", "services", "service", True, ("svc",), ALL_VERBS, ("all",), ("status",)
    ),
    Resource(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        "deployment",
        True,
        ("deploy",),
        ALL_VERBS,
        ("all",),
        ("scale", "status"),
    ),
    Resource(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        "replicaset",
        True,
        ("rs",),
        ALL_VERBS,
        ("all",),
        ("scale", "status"),
    ),
    Resource(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        "statefulset",
        True,
        ("sts",),
        ALL_VERBS,
        ("all",),
        ("scale", "status"),
    ),
    Resource(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        "networkpolicy",
        True,
        ("netpol",),
        ALL_VERBS,
    ),
    Resource(
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        "endpointslice",
        True,
        (),
        ALL_VERBS,
    ),
)

# Groups in the order a real API server lists them (its priority order).
GROUPS: tuple[str, ...] = ("apps", "networking.k8s.io", "discovery.k8s.io")


def resource_for(group: str, version: str, plural: str) -> Resource | None:
    """The served resource at /api(s)/<group>/<version>/<plural>, or None."""
    return next(
        (r for r in RESOURCES if (r.group, r.version, r.plural) == (group, version, plural)), None
    )


def resource_of_kind(kind: str, api_version: str | None = None) -> Resource | None:
    """The served resource for objects of `kind` (and `apiVersion`, when given)."""
    for r in RESOURCES:
        if r.kind == kind and (api_version is None or r.group_version == api_version):
            return r
    return None


def _in_group(group: str) -> list[Resource]:
    return [r for r in RESOURCES if r.group == group]


# --- legacy discovery ------------------------------------------------------------------------


def api_versions() -> dict[str, Any]:
    """GET /api: the core group's versions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def _group_version_for_discovery(group: str, version: str) -> dict[str, str]:
    return {"groupVersion": f"{group}/{version}", "version": version}


def api_group(group: str) -> dict[str, Any] | None:
    """GET /apis/<group>: one APIGroup, or None when the group is not served."""
    if group not in GROUPS:
        return None
    gv = _group_version_for_discovery(group, "v1")
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": [gv],
        "preferredVersion": gv,
    }


def api_group_list() -> dict[str, Any]:
    """GET /apis: every served group (core is at /api, not listed here)."""
    groups = []
    for group in GROUPS:
        entry = api_group(group)
        assert entry is not None
        groups.append({k: v for k, v in entry.items() if k not in ("kind", "apiVersion")})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_resource_list(group: str, version: str) -> dict[str, Any] | None:
    """GET /api/v1 or /apis/<group>/<version>: the resources there (and subresources)."""
    served = [r for r in _in_group(group) if r.version == version]
    if not served:
        return None
    resources: list[dict[str, Any]] = []
    for r in served:
        entry: dict[str, Any] = {
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        resources.append(entry)
        for sub in r.subresources:
            sub_entry: dict[str, Any] = {
                "name": f"{r.plural}/{sub}",
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": list(STATUS_VERBS),
            }
            if sub == "scale":
                sub_entry.update(group="autoscaling", version="v1", kind="Scale")
            resources.append(sub_entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": served[0].group_version,
        "resources": resources,
    }


# --- aggregated discovery (apidiscovery.k8s.io/v2) ------------------------------------------


def _resource_discovery(r: Resource) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "resource": r.plural,
        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
        "scope": "Namespaced" if r.namespaced else "Cluster",
        "singularResource": r.singular,
        "verbs": list(r.verbs),
    }
    if r.short_names:
        entry["shortNames"] = list(r.short_names)
    if r.categories:
        entry["categories"] = list(r.categories)
    subresources = []
    for sub in r.subresources:
        kind = (
            {"group": "autoscaling", "version": "v1", "kind": "Scale"}
            if sub == "scale"
            else {"group": r.group, "version": r.version, "kind": r.kind}
        )
        subresources.append({"subresource": sub, "responseKind": kind, "verbs": list(STATUS_VERBS)})
    if subresources:
        entry["subresources"] = subresources
    return entry


def _group_discovery(group: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": group} if group else {}
    return {
        "metadata": meta,
        "versions": [
            {
                "version": "v1",
                "resources": [_resource_discovery(r) for r in _in_group(group)],
                "freshness": "Current",
            }
        ],
    }


def aggregated_discovery(legacy: bool) -> dict[str, Any]:
    """GET /api (legacy=True) or /apis in the aggregated form kubectl asks for first."""
    groups = [""] if legacy else list(GROUPS)
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": [_group_discovery(g) for g in groups],
    }


def version_info() -> dict[str, str]:
    """GET /version: what `kubectl version` prints as the Server Version."""
    major, minor, _ = KUBERNETES_VERSION.lstrip("v").split(".")
    return {
        "major": major,
        "minor": minor,
        "emulationMajor": major,
        "emulationMinor": minor,
        "minCompatibilityMajor": major,
        "minCompatibilityMinor": str(int(minor) - 1),
        "gitVersion": KUBERNETES_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "go1.25",
        "compiler": "gc",
        "platform": "linux/amd64",
    }
