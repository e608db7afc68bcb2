"""The world the practice cluster serves: one exercise's objects, kept as the API stores them.

Everything is a plain JSON-like dict, exactly as `kubectl get -o json` shows
it. The exercise's scenario gives the start (namespaces, nodes, pods, the
objects already there); the learner's writes change it, each one bumping one
global resourceVersion. What a real cluster's controllers would do is done
here at once, after every write, so the learner sees a settled cluster:

* a Deployment gets a ReplicaSet per pod template (named with its
  pod-template-hash), a ReplicaSet and a StatefulSet get their pods (at most the
  model's `MAX_REPLICAS`), each pod an IP from the scenario's pod range and a
  node, Running and Ready;
* Endpoints and EndpointSlices of Services with a selector are never stored:
  they are computed from the model (`model.services`) every time they are read,
  so they always agree with what the grader sees;
* a new pod with a one-shot command (`kubectl run tmp --image=busybox --
  wget …`) runs it at once, answered by the model (`connectivity`): what it
  printed becomes its logs, and a `restartPolicy: Never` pod ends Completed or
  Error with the command's exit code.

Which object came from where is kept (`scenario`, `learner`, `system`,
`controller`), so that `learner_objects` and `scenario()` can hand the grader
the learner's work and the exercise's world with the learner's label changes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from k8slearn.manifests.defaults import externally_accessible
from k8slearn.manifests.loader import Document
from k8slearn.manifests.validate import Manifest
from k8slearn.model.scenario import (
    OBJECT_KINDS,
    ContainerPort,
    External,
    Node,
    Pod,
    Scenario,
    free_pod_ips,
    namespace,
)
from k8slearn.model.services import SERVICE_CIDR, ServiceIndex, resolve_target_port
from k8slearn.model.services import Service as ModelService
from k8slearn.model.world import MAX_REPLICAS, World, _container_ports
from k8slearn.practice import admission
from k8slearn.practice.admission import ApiError, FieldError
from k8slearn.practice.resources import Resource, resource_of_kind

FORMAT = 1
POD_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.53"
CONTAINER_NAME = "app"
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery's rand.String alphabet (no vowels)
KUBERNETES_SERVICE_IP = "10.96.0.1"
CLUSTER_DNS_IP = "10.96.0.10"  # kube-dns: the nameserver in every pod's resolv.conf
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3"
SYSTEM_NAMESPACES = ("kube-node-lease", "kube-public")
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")
NODE_PORT_RANGE = (30000, 32767)
ORIGINS = ("scenario", "learner", "system", "controller")
# Fields a learner's YAML never carries: the server writes them.
SERVER_METADATA = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
REVISION = "deployment.kubernetes.io/revision"


def now_text() -> str:
    """A timestamp as the API writes it (RFC 3339, seconds, UTC)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stable(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2s("\0".join(parts).encode(), digest_size=8).digest(), "big")


def safe_encode(number: int, length: int | None = None) -> str:
    """apimachinery's SafeEncodeString over a number's digits: a name part with no vowels."""
    text = "".join(NAME_ALPHABET[ord(c) % len(NAME_ALPHABET)] for c in str(number))
    return text if length is None else text[:length]


def _suffix(seed: str) -> str:
    """Five characters as generateName appends them (deterministic from `seed`)."""
    n = _stable(seed)
    out = []
    for _ in range(5):
        n, i = divmod(n, len(NAME_ALPHABET))
        out.append(NAME_ALPHABET[i])
    return "".join(out)


def template_hash(template: Any) -> str:
    """A pod-template-hash: FNV-32a of the template, encoded as the controller encodes it."""
    h = 0x811C9DC5
    for byte in json.dumps(template, sort_keys=True).encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return safe_encode(h)


@dataclass
class Entry:
    """One stored object and where it came from."""

    obj: dict[str, Any]
    origin: str


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = {}
        obj["metadata"] = meta
    return meta


def _labels(obj: dict[str, Any]) -> dict[str, str]:
    labels = _meta(obj).get("labels")
    return dict(labels) if isinstance(labels, dict) else {}


def _served(replicas: Any) -> int:
    """How many pods a controller keeps for `replicas`: the model's cap, none for a non-number."""
    return min(replicas, MAX_REPLICAS) if isinstance(replicas, int) else 0


def _owned_by(obj: dict[str, Any], uid: str) -> bool:
    return any(ref.get("uid") == uid for ref in _meta(obj).get("ownerReferences") or [])


def _owner_ref(owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def clean_for_yaml(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as a learner would write it: no status, no server-written metadata."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = _meta(out)
    for key in SERVER_METADATA:
        meta.pop(key, None)
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(LAST_APPLIED, None)
        annotations.pop(REVISION, None)  # the Deployment controller's, not the learner's
        if not annotations:
            meta.pop("annotations", None)
    return out


def model_pod(obj: dict[str, Any]) -> Pod:
    """The model's view of a Pod object: labels, IP, readiness, declared ports, node."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    labels = {k: "" if v is None else str(v) for k, v in (meta.get("labels") or {}).items()}
    return Pod(
        namespace=meta.get("namespace") or "default",
        name=meta["name"],
        labels=MappingProxyType(labels),
        ip=status.get("podIP") or "",
        ready=ready,
        ports=tuple(_container_ports(spec)),
        node=spec.get("nodeName") or "",
        hostname=spec.get("hostname") or "",
        subdomain=spec.get("subdomain") or "",
    )


def manifest_of(obj: dict[str, Any]) -> Manifest:
    """A stored (valid, defaulted) object as the model takes manifests."""
    return Manifest(doc=Document(obj, 0, 1), kind=obj.get("kind"), obj=obj)


class PracticeState:
    """One exercise's cluster; every public method is thread-safe (one lock)."""

    def __init__(self, default_namespace: str = "default") -> None:
        self._lock = threading.RLock()
        self._change = threading.Condition(self._lock)
        self._entries: dict[tuple[str, str, str], Entry] = {}
        self._rv = 1
        self._serial = 0
        self.default_namespace = default_namespace
        self.externals: list[External] = []
        self.created = now_text()
        self.on_change: Callable[[], None] | None = None
        self._world: tuple[int, World] | None = None
        # Per Service (namespace/name): the fields the server filled in (cluster IPs, node
        # ports), which the learner's YAML leaves out as the learner left them out.
        self._allocated: dict[str, set[tuple[Any, ...]]] = {}
        # What the command of a pod that ran to the end printed (its "logs"), by namespace/name.
        self._runs: dict[str, dict[str, Any]] = {}

    # --- building and persisting ---------------------------------------------------------------

    @classmethod
    def from_exercise(
        cls,
        scenario: Scenario,
        objects: Iterable[dict[str, Any]] = (),
        *,
        namespace: str = "default",
    ) -> PracticeState:
        """The cluster an exercise starts in: its scenario, plus `objects` already there."""
        state = cls(default_namespace=namespace)
        state.externals = list(scenario.externals)
        for name, ns in scenario.namespaces.items():
            state._put(state._namespace_object(name, dict(ns.labels)), "scenario")
        for name in SYSTEM_NAMESPACES:
            state._put(state._namespace_object(name, {}), "system")
        for node in scenario.nodes:
            state._put(state._node_object(node), "scenario")
        for pod in scenario.pods:
            state._put(state._pod_object_from_model(pod), "scenario")
        given = [copy.deepcopy(m.obj) for m in scenario.objects if m.obj is not None]
        for obj in objects:
            checked = admission.admit(_resource_of(obj), copy.deepcopy(obj))
            given.append(checked.obj)
        state._allocate_initial_services(given)
        for obj in given:
            r = _resource_of(obj)
            state._stamp(obj, r)
            state._put(obj, "scenario")
        state._add_kubernetes_service(scenario.nodes)
        state._add_cluster_dns(scenario)
        state._reconcile()
        return state

    def to_json(self) -> str:
        """Everything needed to carry on later (the store keeps this text)."""
        with self._lock:
            return json.dumps(
                {
                    "format": FORMAT,
                    "resourceVersion": self._rv,
                    "serial": self._serial,
                    "namespace": self.default_namespace,
                    "created": self.created,
                    "externals": [[e.name, e.ip] for e in self.externals],
                    "entries": [
                        {"origin": e.origin, "object": e.obj} for e in self._entries.values()
                    ],
                    "runs": self._runs,
                    "allocated": {k: sorted(v) for k, v in self._allocated.items()},
                },
                separators=(",", ":"),
            )

    @classmethod
    def from_json(cls, text: str) -> PracticeState:
        """The state `to_json` wrote; ValueError (or KeyError/TypeError) when it is damaged."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a practice state of this version")
        state = cls(default_namespace=str(data["namespace"]))
        state._rv = int(data["resourceVersion"])
        state._serial = int(data["serial"])
        state.created = str(data.get("created") or state.created)
        state.externals = [External(str(n), str(ip)) for n, ip in data["externals"]]
        state._runs = {str(k): dict(v) for k, v in (data.get("runs") or {}).items()}
        state._allocated = {
            str(k): {tuple(f) for f in v} for k, v in (data.get("allocated") or {}).items()
        }
        for item in data["entries"]:
            obj, origin = item["object"], item["origin"]
            if origin not in ORIGINS or not isinstance(obj, dict):
                raise ValueError("damaged practice state")
            state._put(obj, origin)
        return state

    # --- what the grader asks -----------------------------------------------------------------

    def learner_objects(self) -> list[dict[str, Any]]:
        """What the learner created or changed (Services, policies, workloads, …), in order."""
        with self._lock:
            return [copy.deepcopy(e.obj) for e in self._entries.values() if e.origin == "learner"]

    def learner_yaml(self) -> str:
        """The learner's objects as apply-ready multi-document YAML (kinds the grader knows)."""
        import yaml

        from k8slearn.manifests.schema import KNOWN_KINDS

        docs = []
        for obj in self.learner_objects():
            if obj.get("kind") not in KNOWN_KINDS:
                continue
            if obj.get("kind") == "Service":
                _drop_fields(obj, self._allocated.get(_service_key(obj), set()))
            docs.append(clean_for_yaml(obj))
        return yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False) if docs else ""

    def scenario(self) -> Scenario:
        """The exercise's scenario as it now stands: its namespaces and pods with the learner's
        label changes (deleted ones gone), its objects the learner left alone."""
        with self._lock:
            namespaces = {
                e.obj["metadata"]["name"]: namespace(e.obj["metadata"]["name"], _labels(e.obj))
                for e in self._entries.values()
                if e.origin == "scenario" and e.obj.get("kind") == "Namespace"
            }
            pods = [
                model_pod(e.obj)
                for e in self._entries.values()
                if e.origin == "scenario" and e.obj.get("kind") == "Pod"
            ]
            objects = [
                manifest_of(clean_for_yaml(e.obj))
                for e in self._entries.values()
                if e.origin == "scenario" and e.obj.get("kind") in OBJECT_KINDS
            ]
            return Scenario(namespaces, pods, self._nodes(), list(self.externals), objects)

    def world(self) -> World:
        """The model of everything served now (every pod, Service and policy)."""
        with self._lock:
            if self._world is not None and self._world[0] == self._rv:
                return self._world[1]
            namespaces = {
                e.obj["metadata"]["name"]: namespace(e.obj["metadata"]["name"], _labels(e.obj))
                for e in self._of_kind("Namespace")
            }
            pods = [model_pod(e.obj) for e in self._of_kind("Pod") if _has_ip(e.obj)]
            scenario = Scenario(namespaces, pods, self._nodes(), list(self.externals), [])
            routing = [
                manifest_of(e.obj)
                for e in self._entries.values()
                if e.obj.get("kind") in OBJECT_KINDS
            ]
            world = World(scenario, routing)
            self._world = (self._rv, world)
            return world

    @property
    def resource_version(self) -> str:
        with self._lock:
            return str(self._rv)

    # --- reads --------------------------------------------------------------------------------

    def get(self, r: Resource, namespace: str | None, name: str) -> dict[str, Any]:
        """One object (Endpoints and EndpointSlices computed); ApiError NotFound."""
        with self._lock:
            ns = namespace if r.namespaced else ""
            entry = self._entries.get((r.group_resource, ns or "", name))
            if entry is not None:
                return copy.deepcopy(entry.obj)
            for obj in self._computed(r, ns or None):
                if obj["metadata"]["name"] == name:
                    return obj
            raise admission.not_found(r, name)

    def list(self, r: Resource, namespace: str | None) -> list[dict[str, Any]]:
        """Every object of `r` in `namespace` (None: all namespaces), sorted as etcd keys are."""
        with self._lock:
            found = [
                copy.deepcopy(e.obj)
                for (key, ns, _), e in self._entries.items()
                if key == r.group_resource and (namespace is None or ns == namespace)
            ]
            found += self._computed(r, namespace)
            return sorted(
                found,
                key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]),
            )

    def namespace_exists(self, name: str) -> bool:
        with self._lock:
            return ("namespaces", "", name) in self._entries

    # --- writes -------------------------------------------------------------------------------

    def create(
        self,
        r: Resource,
        namespace: str | None,
        body: dict[str, Any],
        *,
        dry_run: bool = False,
        field_validation: str = "Strict",
    ) -> tuple[dict[str, Any], list[str]]:
        """POST: default, validate, allocate and store a new object; (object, warnings)."""
        with self._lock:
            obj = copy.deepcopy(body)
            meta = _meta(obj)
            if r.namespaced:
                written = meta.get("namespace")
                if written and written != namespace:
                    raise admission.bad_request(
                        "the namespace of the provided object does not match the namespace "
                        "sent on the request"
                    )
                meta["namespace"] = namespace
                if not self.namespace_exists(namespace or ""):
                    raise admission.namespace_not_found(namespace or "")
            else:
                meta.pop("namespace", None)
            if r.kind in ("Node", "Event"):
                raise admission.not_available(f"creating {r.plural}")
            if not meta.get("name") and meta.get("generateName"):
                meta["name"] = self._generated_name(r, namespace, str(meta["generateName"]))
            admitted = admission.admit(r, obj, field_validation)
            obj = admitted.obj
            name = obj["metadata"]["name"]
            if self._key(r, namespace, name) in self._entries:
                raise admission.already_exists(r, name)
            if r.kind == "Service":
                written = _allocatables(obj)
                self._allocate_service(obj, None)
                if not dry_run:
                    self._allocated[_service_key(obj)] = _allocatables(obj) - written
            self._stamp(obj, r)
            if r.kind == "Pod":
                self._schedule_pod(obj)
            if dry_run:
                obj["metadata"].pop("resourceVersion", None)
                return obj, admitted.warnings
            self._bump()
            obj["metadata"]["resourceVersion"] = str(self._rv)
            self._put(obj, "learner")
            self._reconcile()
            if r.kind == "Pod":
                self._run_command(obj)
            self._changed()
            return self.get(r, namespace, name), admitted.warnings

    def update(
        self,
        r: Resource,
        namespace: str | None,
        name: str,
        body: dict[str, Any],
        *,
        dry_run: bool = False,
        field_validation: str = "Strict",
        subresource: str = "",
    ) -> tuple[dict[str, Any], list[str]]:
        """PUT: replace an object (its status kept), as ValidateUpdate allows; (object, warnings)."""
        with self._lock:
            entry = self._entries.get(self._key(r, namespace, name))
            if entry is None:
                raise admission.not_found(r, name)
            old = entry.obj
            new = copy.deepcopy(body)
            meta = _meta(new)
            if meta.get("name") not in (None, name):
                raise admission.bad_request(
                    f"the name of the object ({meta.get('name')}) does not match the name on "
                    f"the URL ({name})"
                )
            if r.namespaced and meta.get("namespace") not in (None, "", namespace):
                raise admission.bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            given_rv = meta.get("resourceVersion")
            if given_rv not in (None, "") and str(given_rv) != old["metadata"]["resourceVersion"]:
                raise admission.conflict(r, name)
            if subresource == "scale":
                return self._scale(r, entry, new, dry_run)
            meta["name"] = name
            if r.namespaced:
                meta["namespace"] = namespace
            if subresource != "status":
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
                else:
                    new.pop("status", None)
            if r.kind == "Service":
                written = _allocatables(new)
                _keep_allocated(new, old)
            admitted = admission.admit(r, new, field_validation)
            new = admitted.obj
            errors = admission.update_errors(r, old, new)
            if errors:
                raise admission.invalid(r, name, errors)
            if r.kind == "Service":
                self._allocate_service(new, old)
                if not dry_run:
                    self._allocated[_service_key(new)] = _still_allocated(
                        new, old, self._allocated.get(_service_key(old), set()), written
                    )
            meta = new["metadata"]
            for key in ("uid", "creationTimestamp", "generation", "resourceVersion"):
                if key in old["metadata"]:
                    meta[key] = old["metadata"][key]
                else:
                    meta.pop(key, None)
            new["apiVersion"], new["kind"] = r.group_version, r.kind
            if _same(old, new):
                return copy.deepcopy(old), admitted.warnings
            if "generation" in old["metadata"] and old.get("spec") != new.get("spec"):
                meta["generation"] = int(old["metadata"]["generation"]) + 1
            if dry_run:
                return new, admitted.warnings
            self._bump()
            meta["resourceVersion"] = str(self._rv)
            entry.obj = new
            if entry.origin == "scenario" and r.kind not in ("Pod", "Namespace", "Node"):
                entry.origin = "learner"  # a changed scenario object is the learner's now
            self._reconcile()
            self._changed()
            return self.get(r, namespace, name), admitted.warnings

    def patch(
        self,
        r: Resource,
        namespace: str | None,
        name: str,
        apply: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        dry_run: bool = False,
        field_validation: str = "Strict",
        subresource: str = "",
    ) -> tuple[dict[str, Any], list[str]]:
        """PATCH: `apply` turns the current object into the new one, then as `update`."""
        with self._lock:
            current = self._current_for(r, namespace, name, subresource)
            patched = apply(copy.deepcopy(current))
            if not isinstance(patched, dict):
                raise admission.bad_request("the patch did not produce an object")
            return self.update(
                r,
                namespace,
                name,
                patched,
                dry_run=dry_run,
                field_validation=field_validation,
                subresource=subresource,
            )

    def get_subresource(
        self, r: Resource, namespace: str | None, name: str, subresource: str
    ) -> dict[str, Any]:
        with self._lock:
            return self._current_for(r, namespace, name, subresource)

    def delete(
        self, r: Resource, namespace: str | None, name: str, *, dry_run: bool = False
    ) -> dict[str, Any]:
        """DELETE: remove the object and what it owns (as the garbage collector would)."""
        with self._lock:
            key = self._key(r, namespace, name)
            entry = self._entries.get(key)
            if entry is None:
                raise admission.not_found(r, name)
            if r.kind == "Namespace" and name in PROTECTED_NAMESPACES:
                raise ApiError(
                    admission.status(
                        403,
                        "Forbidden",
                        f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                        {"name": name, "kind": "namespaces"},
                    )
                )
            obj = copy.deepcopy(entry.obj)
            if r.kind == "Namespace":
                obj.setdefault("status", {})["phase"] = "Terminating"
                obj["metadata"]["deletionTimestamp"] = now_text()
            if dry_run:
                return obj
            self._bump()
            self._remove(key)
            self._reconcile()
            self._changed()
            return obj

    def run_output(self, namespace: str, name: str) -> dict[str, Any] | None:
        """What a pod's command printed when it ran ({"stdout", "stderr", "exitCode"}), or None
        for a pod whose command the practice cluster does not run (a server, `sleep`…)."""
        with self._lock:
            run = self._runs.get(f"{namespace}/{name}")
            return dict(run) if run else None

    # --- internals: storage ---------------------------------------------------------------------

    @staticmethod
    def _key(r: Resource, namespace: str | None, name: str) -> tuple[str, str, str]:
        return (r.group_resource, (namespace or "") if r.namespaced else "", name)

    def _put(self, obj: dict[str, Any], origin: str) -> None:
        r = _resource_of(obj)
        meta = obj["metadata"]
        self._entries[self._key(r, meta.get("namespace"), meta["name"])] = Entry(obj, origin)

    def _of_kind(self, kind: str) -> list[Entry]:
        return [e for e in self._entries.values() if e.obj.get("kind") == kind]

    def _owned(self, kind: str, uid: str) -> list[Entry]:
        """The objects of `kind` whose owner is the object with `uid`."""
        return [e for e in self._of_kind(kind) if _owned_by(e.obj, uid)]

    def _remove(self, key: tuple[str, str, str]) -> None:
        """Delete an entry and, as the garbage collector would, everything it owns."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        if entry.obj.get("kind") == "Service":
            self._allocated.pop(_service_key(entry.obj), None)
        if entry.obj.get("kind") == "Pod":
            self._runs.pop(f"{key[1]}/{key[2]}", None)
        uid = entry.obj["metadata"].get("uid")
        if entry.obj.get("kind") == "Namespace":
            name = entry.obj["metadata"]["name"]
            for other in [k for k in self._entries if k[1] == name]:
                self._remove(other)
            return
        if uid:
            for other, e in list(self._entries.items()):
                if _owned_by(e.obj, uid):
                    self._remove(other)

    def _bump(self) -> None:
        self._rv += 1

    def wait_for_change(self, seen: str, timeout: float) -> str:
        """Block until the resourceVersion differs from `seen` (or `timeout` seconds pass);
        the resourceVersion then. Watches use this to stream what happens."""
        with self._change:
            self._change.wait_for(lambda: str(self._rv) != seen, timeout=timeout)
            return str(self._rv)

    def _changed(self) -> None:
        self._change.notify_all()
        callback = self.on_change
        if callback is not None:
            callback()

    def _next(self, seed: str) -> str:
        self._serial += 1
        return f"{seed}#{self._serial}"

    def _generated_name(self, r: Resource, namespace: str | None, prefix: str) -> str:
        while True:
            name = prefix + _suffix(self._next(prefix))
            if self._key(r, namespace, name) not in self._entries:
                return name

    def _stamp_at_start(self, obj: dict[str, Any]) -> None:
        """Stamp an object the cluster started with: as old as the cluster itself."""
        self._stamp(obj, _resource_of(obj))
        obj["metadata"]["creationTimestamp"] = self.created

    def _stamp(self, obj: dict[str, Any], r: Resource) -> None:
        """What the API server writes into every new object."""
        meta = obj["metadata"]
        meta["uid"] = str(uuid.uuid4())
        meta["resourceVersion"] = str(self._rv)
        meta["creationTimestamp"] = now_text()
        if r.kind in ("Deployment", "ReplicaSet", "StatefulSet", "NetworkPolicy", "Pod"):
            meta["generation"] = 1
        obj["apiVersion"] = r.group_version
        obj["kind"] = r.kind
        if r.kind == "Service":
            obj["status"] = {"loadBalancer": {}}
        if r.kind == "Namespace":
            obj["spec"] = obj.get("spec") or {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}

    def _nodes(self) -> list[Node]:
        out = []
        for e in self._of_kind("Node"):
            addresses = (e.obj.get("status") or {}).get("addresses") or []
            ip = next((a["address"] for a in addresses if a.get("type") == "InternalIP"), "")
            out.append(Node(e.obj["metadata"]["name"], ip))
        return out

    def _current_for(
        self, r: Resource, namespace: str | None, name: str, subresource: str
    ) -> dict[str, Any]:
        entry = self._entries.get(self._key(r, namespace, name))
        if entry is None:
            raise admission.not_found(r, name)
        if subresource == "scale":
            return _scale_of(entry.obj)
        return copy.deepcopy(entry.obj)

    def _scale(
        self, r: Resource, entry: Entry, scale: dict[str, Any], dry_run: bool
    ) -> tuple[dict[str, Any], list[str]]:
        """PUT …/scale: only spec.replicas changes."""
        replicas = (scale.get("spec") or {}).get("replicas")
        name = entry.obj["metadata"]["name"]
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise admission.invalid(
                r,
                name,
                [
                    FieldError(
                        "Invalid value",
                        "spec.replicas",
                        replicas,
                        "must be greater than or equal to 0",
                    )
                ],
            )
        if dry_run or entry.obj["spec"].get("replicas") == replicas:
            changed = copy.deepcopy(entry.obj)
            changed["spec"]["replicas"] = replicas
            return _scale_of(changed), []
        self._bump()
        entry.obj["spec"]["replicas"] = replicas
        entry.obj["metadata"]["generation"] = int(entry.obj["metadata"].get("generation", 1)) + 1
        entry.obj["metadata"]["resourceVersion"] = str(self._rv)
        if entry.origin == "scenario":
            entry.origin = "learner"
        self._reconcile()
        self._changed()
        return _scale_of(
            self._entries[self._key(r, entry.obj["metadata"].get("namespace"), name)].obj
        ), []

    # --- internals: the objects of a scenario -------------------------------------------------

    def _namespace_object(self, name: str, labels: dict[str, str]) -> dict[str, Any]:
        labels = dict(labels)
        labels["kubernetes.io/metadata.name"] = name
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": labels},
        }
        self._stamp_at_start(obj)
        return obj

    def _node_object(self, node: Node) -> dict[str, Any]:
        first = not self._of_kind("Node")
        labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": node.name,
            "kubernetes.io/os": "linux",
        }
        if first:
            labels["node-role.kubernetes.io/control-plane"] = ""
        index = len(self._of_kind("Node"))
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node.name, "labels": labels},
            "spec": {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"]},
            "status": {
                "addresses": [
                    {"type": "InternalIP", "address": node.ip},
                    {"type": "Hostname", "address": node.name},
                ],
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                        "lastHeartbeatTime": self.created,
                        "lastTransitionTime": self.created,
                    }
                ],
                "nodeInfo": {
                    "architecture": "amd64",
                    "containerRuntimeVersion": "containerd://2.1.0",
                    "kernelVersion": "6.8.0",
                    "kubeProxyVersion": "",
                    "kubeletVersion": "v1.37.0",
                    "operatingSystem": "linux",
                    "osImage": "Debian GNU/Linux 12 (bookworm)",
                },
            },
        }
        self._stamp_at_start(obj)
        return obj

    def _pod_object_from_model(self, pod: Pod) -> dict[str, Any]:
        container: dict[str, Any] = {"name": CONTAINER_NAME, "image": POD_IMAGE}
        if pod.ports:
            ports = []
            for cp in pod.ports:
                entry: dict[str, Any] = {"containerPort": cp.port, "protocol": cp.protocol}
                if cp.name:
                    entry = {"name": cp.name, **entry}
                ports.append(entry)
            container["ports"] = ports
        spec: dict[str, Any] = {"containers": [container]}
        if pod.hostname:
            spec["hostname"] = pod.hostname
        if pod.subdomain:
            spec["subdomain"] = pod.subdomain
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": pod.name, "namespace": pod.namespace, "labels": dict(pod.labels)},
            "spec": spec,
        }
        obj = admission.admit(_resource_of(obj), obj).obj
        self._stamp_at_start(obj)
        self._run_pod(obj, pod.ip, pod.node, pod.ready)
        return obj

    def _add_cluster_dns(self, scenario: Scenario) -> None:
        """kube-dns in kube-system, as a kind cluster has it: the Service every pod's
        resolv.conf names (10.96.0.10) and, unless the scenario brings its own, two CoreDNS
        pods — so `kubectl get pods -n kube-system --show-labels` shows the labels an egress
        rule allowing DNS must select. They are the system's: never graded as the learner's
        or the scenario's."""
        if ("services", "kube-system", "kube-dns") in self._entries:
            return
        own = any(
            p.namespace == "kube-system" and p.labels.get("k8s-app") == "kube-dns"
            for p in scenario.pods
        )
        if not own:
            nodes = scenario.nodes
            ports = (
                ContainerPort(53, "UDP", "dns"),
                ContainerPort(53, "TCP", "dns-tcp"),
                ContainerPort(9153, "TCP", "metrics"),
            )
            taken = self._taken_ips()
            # kubeadm's CoreDNS prefers one replica per node (pod anti-affinity on hostname).
            for i, suffix in enumerate(("7xk2p", "q9w4m")):
                ip = next(free_pod_ips(taken))
                taken.add(ip)
                pod = Pod(
                    "kube-system",
                    f"coredns-668d6bf9bc-{suffix}",
                    {"k8s-app": "kube-dns", "pod-template-hash": "668d6bf9bc"},
                    ip,
                    True,
                    ports,
                    nodes[i % len(nodes)].name if nodes else "",
                )
                obj = self._pod_object_from_model(pod)
                container = obj["spec"]["containers"][0]
                container["name"] = "coredns"
                container["image"] = COREDNS_IMAGE
                self._put(obj, "system")
        service: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kube-dns",
                "namespace": "kube-system",
                "labels": {
                    "k8s-app": "kube-dns",
                    "kubernetes.io/cluster-service": "true",
                    "kubernetes.io/name": "CoreDNS",
                },
            },
            "spec": {
                "clusterIP": CLUSTER_DNS_IP,
                "clusterIPs": [CLUSTER_DNS_IP],
                "internalTrafficPolicy": "Cluster",
                "ipFamilies": ["IPv4"],
                "ipFamilyPolicy": "SingleStack",
                "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                    {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
                ],
                "selector": {"k8s-app": "kube-dns"},
                "sessionAffinity": "None",
                "type": "ClusterIP",
            },
        }
        self._stamp_at_start(service)
        self._put(service, "system")

    def _add_kubernetes_service(self, nodes: list[Node]) -> None:
        """The `kubernetes` Service every cluster has in `default`, with the API server behind."""
        if ("services", "default", "kubernetes") in self._entries:
            return
        service: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "clusterIP": KUBERNETES_SERVICE_IP,
                "clusterIPs": [KUBERNETES_SERVICE_IP],
                "internalTrafficPolicy": "Cluster",
                "ipFamilies": ["IPv4"],
                "ipFamilyPolicy": "SingleStack",
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                "sessionAffinity": "None",
                "type": "ClusterIP",
            },
        }
        self._stamp_at_start(service)
        self._put(service, "system")
        ip = nodes[0].ip if nodes else "172.18.0.2"
        endpoints: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
            },
            "subsets": [
                {
                    "addresses": [{"ip": ip}],
                    "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
                }
            ],
        }
        self._stamp(endpoints, _resource_of(endpoints))
        self._put(endpoints, "system")
        slice_: dict[str, Any] = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"kubernetes.io/service-name": "kubernetes"},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
        }
        self._stamp(slice_, _resource_of(slice_))
        self._put(slice_, "system")

    # --- internals: allocation ------------------------------------------------------------------

    def _services(self) -> list[dict[str, Any]]:
        return [e.obj for e in self._of_kind("Service")]

    def _allocate_initial_services(self, objects: list[dict[str, Any]]) -> None:
        """Cluster IPs and node ports for the scenario's Services, as the model gives them."""
        services = [o for o in objects if o.get("kind") == "Service"]
        index = ServiceIndex(Scenario({}, []), [ModelService.from_manifest(o) for o in services])
        for obj in services:
            svc = ModelService.from_manifest(obj)
            _write_allocation(obj, svc, index)

    def _allocate_service(self, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        """Give a new (or changed) Service its cluster IP and node ports, refusing taken ones."""
        name = obj["metadata"]["name"]
        key = f"{obj['metadata']['namespace']}/{name}"
        others = [
            o
            for o in self._services()
            if f"{o['metadata']['namespace']}/{o['metadata']['name']}" != key
        ]
        errors = _allocation_errors(obj, old, others)
        if errors:
            raise admission.invalid(_resource_of(obj), name, errors)
        index = ServiceIndex(
            Scenario({}, []),
            [*(ModelService.from_manifest(o) for o in others), ModelService.from_manifest(obj)],
        )
        _write_allocation(obj, ModelService.from_manifest(obj), index)

    # --- internals: pods and controllers ----------------------------------------------------------

    def _taken_ips(self) -> set[str]:
        return {
            (e.obj.get("status") or {}).get("podIP", "")
            for e in self._of_kind("Pod")
            if _has_ip(e.obj)
        }

    def _schedule_pod(self, obj: dict[str, Any], ip: str | None = None) -> None:
        """Place a new pod on the node with fewest pods and start it: Running, and Ready
        unless a container's readiness probe can never succeed (`exec: [false]`)."""
        nodes = self._nodes()
        node = obj["spec"].get("nodeName")
        if not node and nodes:
            counts = {n.name: 0 for n in nodes}
            for e in self._of_kind("Pod"):
                placed = (e.obj.get("spec") or {}).get("nodeName")
                if placed in counts:
                    counts[placed] += 1
            node = min(counts, key=lambda n: (counts[n], list(counts).index(n)))
        address = ip or next(free_pod_ips(self._taken_ips()))
        self._run_pod(obj, address, node or "", not _never_ready(obj))

    def _run_pod(self, obj: dict[str, Any], ip: str, node: str, ready: bool) -> None:
        """The status a running pod reports (kubelet's view), with `ready` as given."""
        spec = obj["spec"]
        if node:
            spec["nodeName"] = node
        host_ip = next((n.ip for n in self._nodes() if n.name == node), "")
        started = obj["metadata"].get("creationTimestamp") or self.created
        flag = "True" if ready else "False"
        conditions = [
            {"type": "PodReadyToStartContainers", "status": "True"},
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": flag},
            {"type": "ContainersReady", "status": flag},
            {"type": "PodScheduled", "status": "True"},
        ]
        for condition in conditions:
            condition["lastProbeTime"] = None
            condition["lastTransitionTime"] = started
            if condition["status"] == "False":
                condition["reason"] = "ContainersNotReady"
                condition["message"] = f"containers with unready status: [{CONTAINER_NAME}]"
        statuses = []
        for container in spec.get("containers") or []:
            image = container.get("image") or ""
            statuses.append(
                {
                    "containerID": "containerd://"
                    + hashlib.sha256(
                        (obj["metadata"].get("uid", "") + container.get("name", "")).encode()
                    ).hexdigest(),
                    "image": image,
                    "imageID": "",
                    "lastState": {},
                    "name": container.get("name"),
                    "ready": ready,
                    "restartCount": 0,
                    "started": True,
                    "state": {"running": {"startedAt": started}},
                }
            )
        status: dict[str, Any] = {
            "conditions": conditions,
            "containerStatuses": statuses,
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}] if host_ip else [],
            "phase": "Running",
            "podIP": ip,
            "podIPs": [{"ip": ip}] if ip else [],
            "qosClass": "BestEffort",
            "startTime": started,
        }
        obj["status"] = status

    def _run_command(self, pod: dict[str, Any]) -> None:
        """Run a new pod's one-shot command (`kubectl run tmp --image=busybox -- wget …`) as its
        container would, at once, from the model (`connectivity`): keep what it printed as the
        pod's logs and, unless the pod restarts its containers, end the pod with the exit code.

        A command the model cannot answer (`sleep 3600`, a server) leaves the pod running."""
        containers = pod["spec"].get("containers") or []
        argv = (
            [
                str(a)
                for a in [*(containers[0].get("command") or []), *(containers[0].get("args") or [])]
            ]
            if containers
            else []
        )
        if not argv:
            return
        try:
            from k8slearn.practice import connectivity
        except ImportError:
            return
        meta = pod["metadata"]
        result = connectivity.run_in_pod(self.world(), meta["namespace"], meta["name"], argv)
        if result.exit_code == connectivity.NOT_ANSWERED:
            return
        self._runs[f"{meta['namespace']}/{meta['name']}"] = {
            "stdout": result.stdout,
            "stderr": result.stderr,
            "exitCode": result.exit_code,
        }
        policy = pod["spec"].get("restartPolicy", "Always")
        if policy == "Always" or (policy == "OnFailure" and result.exit_code != 0):
            return  # restarted over and over; attach and logs show what one run printed
        stored = self._entries[("pods", meta["namespace"], meta["name"])].obj
        _finish_pod(stored, result.exit_code)

    def _reconcile(self) -> None:
        """Run the controllers until the cluster is settled (one pass suffices here)."""
        self._world = None
        for e in list(self._of_kind("Deployment")):
            self._reconcile_deployment(e)
        for e in list(self._of_kind("ReplicaSet")):
            self._reconcile_replica_set(e)
        for e in list(self._of_kind("StatefulSet")):
            self._reconcile_stateful_set(e)
        self._world = None

    def _reconcile_deployment(self, entry: Entry) -> None:
        deploy = entry.obj
        meta, spec = deploy["metadata"], deploy.get("spec") or {}
        ns, uid = meta["namespace"], meta["uid"]
        template = copy.deepcopy(spec.get("template") or {})
        pod_hash = template_hash(template)
        rs_name = f"{meta['name']}-{pod_hash}"
        owned = self._owned("ReplicaSet", uid)
        revisions = [
            int(
                (
                    (e.obj["metadata"].get("annotations") or {}).get(
                        "deployment.kubernetes.io/revision"
                    )
                )
                or 0
            )
            for e in owned
        ]
        replicas = spec.get("replicas", 1)
        current = next((e for e in owned if e.obj["metadata"]["name"] == rs_name), None)
        latest = max(revisions, default=0)
        revision = str(latest + 1)
        if current is not None:
            mine = (current.obj["metadata"].get("annotations") or {}).get(
                "deployment.kubernetes.io/revision"
            )
            if mine and int(mine) == latest:
                revision = mine  # still the newest template; a rollback would make it newer
        else:
            labels = {
                **(template.get("metadata") or {}).get("labels", {}),
                "pod-template-hash": pod_hash,
            }
            template.setdefault("metadata", {})["labels"] = labels
            selector = copy.deepcopy(spec.get("selector") or {})
            selector.setdefault("matchLabels", {})["pod-template-hash"] = pod_hash
            rs: dict[str, Any] = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": rs_name,
                    "namespace": ns,
                    "labels": labels,
                    "annotations": {},
                    "ownerReferences": [_owner_ref(deploy)],
                },
                "spec": {"replicas": replicas, "selector": selector, "template": template},
            }
            self._stamp(rs, _resource_of(rs))
            self._put(rs, "controller")
            current = self._entries[self._key(_resource_of(rs), ns, rs_name)]
        meta.setdefault("annotations", {})["deployment.kubernetes.io/revision"] = revision
        current_rs = current.obj
        current_rs["spec"]["replicas"] = replicas
        current_rs["metadata"].setdefault("annotations", {}).update(
            {
                "deployment.kubernetes.io/desired-replicas": str(replicas),
                "deployment.kubernetes.io/max-replicas": str(replicas + _surge(spec, replicas)),
                "deployment.kubernetes.io/revision": revision,
            }
        )
        for e in owned:
            if e is not current:
                e.obj["spec"]["replicas"] = 0
        ready = _served(replicas)
        status: dict[str, Any] = {
            "observedGeneration": meta.get("generation", 1),
            "replicas": ready,
            "updatedReplicas": ready,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True",
                    "lastUpdateTime": meta["creationTimestamp"],
                    "lastTransitionTime": meta["creationTimestamp"],
                    "reason": "MinimumReplicasAvailable",
                    "message": "Deployment has minimum availability.",
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "lastUpdateTime": meta["creationTimestamp"],
                    "lastTransitionTime": meta["creationTimestamp"],
                    "reason": "NewReplicaSetAvailable",
                    "message": f'ReplicaSet "{rs_name}" has successfully progressed.',
                },
            ],
        }
        if not ready:
            for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas"):
                status.pop(key)
        deploy["status"] = status

    def _reconcile_replica_set(self, entry: Entry) -> None:
        rs = entry.obj
        meta, spec = rs["metadata"], rs.get("spec") or {}
        r_pod = _resource_of({"apiVersion": "v1", "kind": "Pod"})
        replicas = spec.get("replicas", 1)
        wanted = _served(replicas)
        pods = self._owned("Pod", meta["uid"])
        for extra in pods[wanted:]:
            self._remove(self._key(r_pod, meta["namespace"], extra.obj["metadata"]["name"]))
        template = spec.get("template") or {}
        for _ in range(wanted - len(pods)):
            name = self._generated_name(r_pod, meta["namespace"], f"{meta['name']}-")
            self._make_pod(rs, template, name)
        status: dict[str, Any] = {"replicas": wanted}
        if wanted:
            status.update(
                fullyLabeledReplicas=wanted, readyReplicas=wanted, availableReplicas=wanted
            )
        status["observedGeneration"] = meta.get("generation", 1)
        rs["status"] = status

    def _reconcile_stateful_set(self, entry: Entry) -> None:
        sts = entry.obj
        meta, spec = sts["metadata"], sts.get("spec") or {}
        r_pod = _resource_of({"apiVersion": "v1", "kind": "Pod"})
        replicas = spec.get("replicas", 1)
        wanted = _served(replicas)
        start = (spec.get("ordinals") or {}).get("start") or 0
        revision = f"{meta['name']}-{template_hash(spec.get('template') or {})}"
        names = {f"{meta['name']}-{start + i}": start + i for i in range(wanted)}
        for e in self._owned("Pod", meta["uid"]):
            pod_name = e.obj["metadata"]["name"]
            label = _labels(e.obj).get("controller-revision-hash")
            if pod_name not in names or label != revision:
                self._remove(self._key(r_pod, meta["namespace"], pod_name))
        for pod_name, ordinal in names.items():
            if self._key(r_pod, meta["namespace"], pod_name) in self._entries:
                continue
            template = copy.deepcopy(spec.get("template") or {})
            labels = {
                **((template.get("metadata") or {}).get("labels") or {}),
                "apps.kubernetes.io/pod-index": str(ordinal),
                "controller-revision-hash": revision,
                "statefulset.kubernetes.io/pod-name": pod_name,
            }
            template.setdefault("metadata", {})["labels"] = labels
            pod_spec = template.setdefault("spec", {})
            pod_spec["hostname"] = pod_name
            if spec.get("serviceName"):
                pod_spec["subdomain"] = spec["serviceName"]
            self._make_pod(sts, template, pod_name)
        sts["status"] = {
            "observedGeneration": meta.get("generation", 1),
            "replicas": wanted,
            "readyReplicas": wanted,
            "currentReplicas": wanted,
            "updatedReplicas": wanted,
            "availableReplicas": wanted,
            "currentRevision": revision,
            "updateRevision": revision,
            "collisionCount": 0,
        }

    def _make_pod(self, owner: dict[str, Any], template: dict[str, Any], name: str) -> None:
        """A pod from a template, owned by `owner`, scheduled and running."""
        meta = owner["metadata"]
        pod: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                **copy.deepcopy(template.get("metadata") or {}),
                "name": name,
                "namespace": meta["namespace"],
                "ownerReferences": [_owner_ref(owner)],
            },
            "spec": copy.deepcopy(template.get("spec") or {}),
        }
        if owner["kind"] == "ReplicaSet":
            pod["metadata"]["generateName"] = f"{meta['name']}-"
        from k8slearn.manifests.defaults import apply_defaults

        pod = apply_defaults("Pod", pod)
        self._stamp(pod, _resource_of(pod))
        self._schedule_pod(pod)
        self._put(pod, "controller")

    # --- internals: computed objects --------------------------------------------------------------

    def _computed(self, r: Resource, namespace: str | None) -> list[dict[str, Any]]:
        if r.kind not in ("Endpoints", "EndpointSlice"):
            return []
        out = []
        for svc in self._services():
            meta = svc["metadata"]
            if namespace is not None and meta["namespace"] != namespace:
                continue
            if not (svc.get("spec") or {}).get("selector"):
                continue
            if r.kind == "Endpoints":
                if (r.group_resource, meta["namespace"], meta["name"]) not in self._entries:
                    out.append(self._endpoints_for(svc))
            else:
                out += self._slices_for(svc)
        return out

    def _backends(self, svc_obj: dict[str, Any]) -> Iterator[tuple[Pod, list[dict[str, Any]]]]:
        """Each selected pod with an IP and the Service ports it resolves (name, port, protocol),
        in the order the endpoints controller finds them."""
        world = self.world()
        svc = ModelService.from_manifest(svc_obj)
        for pod in world.scenario.pods:
            if not svc.selects(pod) or not pod.ip:
                continue
            ports = []
            for sp in svc.ports:
                number = resolve_target_port(pod, sp)
                if number is not None:
                    ports.append({"name": sp.name or "", "port": number, "protocol": sp.protocol})
            if ports or not svc.ports:
                yield pod, ports

    def _pod_uid(self, pod: Pod) -> str:
        entry = self._entries.get(("pods", pod.namespace, pod.name))
        return entry.obj["metadata"].get("uid", "") if entry else ""

    def _endpoints_for(self, svc_obj: dict[str, Any]) -> dict[str, Any]:
        """The Endpoints object the endpoints controller keeps for a Service with a selector."""
        meta = svc_obj["metadata"]
        publish = bool((svc_obj.get("spec") or {}).get("publishNotReadyAddresses"))
        groups: dict[str, dict[str, Any]] = {}
        for pod, ports in self._backends(svc_obj):
            address: dict[str, Any] = {"ip": pod.ip}
            if pod.hostname and pod.subdomain == meta["name"]:
                address["hostname"] = pod.hostname
            address["nodeName"] = pod.node
            address["targetRef"] = {
                "kind": "Pod",
                "name": pod.name,
                "namespace": pod.namespace,
                "uid": self._pod_uid(pod),
            }
            # An EndpointPort's name is omitempty in v1 Endpoints (unlike EndpointSlice ports).
            ports = [{k: v for k, v in p.items() if k != "name" or v} for p in ports]
            key = json.dumps(ports, sort_keys=True)
            subset = groups.setdefault(key, {"ports": ports})
            field = "addresses" if pod.ready or publish else "notReadyAddresses"
            subset.setdefault(field, []).append(address)
        subsets = []
        for subset in groups.values():
            for field in ("addresses", "notReadyAddresses"):
                if field in subset:
                    subset[field].sort(key=lambda a: _ip_key(a["ip"]))
            ordered = {
                k: subset[k] for k in ("addresses", "notReadyAddresses", "ports") if subset.get(k)
            }
            subsets.append(ordered)
        labels = {**_labels(svc_obj), "endpoints.kubernetes.io/managed-by": "endpoint-controller"}
        obj: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "name": meta["name"],
                "namespace": meta["namespace"],
                "uid": _derived_uid("endpoints", meta.get("uid", "")),
                "resourceVersion": str(self._rv),
                "creationTimestamp": meta.get("creationTimestamp"),
                "labels": labels,
                "annotations": {
                    "endpoints.kubernetes.io/last-change-trigger-time": meta.get(
                        "creationTimestamp"
                    )
                },
            },
        }
        if subsets:
            obj["subsets"] = subsets
        return obj

    def _slices_for(self, svc_obj: dict[str, Any]) -> list[dict[str, Any]]:
        """The EndpointSlices the EndpointSlice controller keeps: one per set of ports."""
        meta = svc_obj["metadata"]
        publish = bool((svc_obj.get("spec") or {}).get("publishNotReadyAddresses"))
        groups: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
        for pod, ports in self._backends(svc_obj):
            endpoint: dict[str, Any] = {
                "addresses": [pod.ip],
                "conditions": {
                    "ready": pod.ready or publish,
                    "serving": pod.ready or publish,
                    "terminating": False,
                },
            }
            if pod.hostname and pod.subdomain == meta["name"]:
                endpoint["hostname"] = pod.hostname
            endpoint["nodeName"] = pod.node
            endpoint["targetRef"] = {
                "kind": "Pod",
                "name": pod.name,
                "namespace": pod.namespace,
                "uid": self._pod_uid(pod),
            }
            key = json.dumps(ports, sort_keys=True)
            groups.setdefault(key, (ports, []))[1].append(endpoint)
        if not groups:
            groups[""] = ([], [])
        out = []
        labels = {
            **_labels(svc_obj),
            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            "kubernetes.io/service-name": meta["name"],
        }
        for key, (ports, endpoints) in groups.items():
            name = f"{meta['name']}-{_suffix(meta.get('uid', '') + key)}"
            out.append(
                {
                    "apiVersion": "discovery.k8s.io/v1",
                    "kind": "EndpointSlice",
                    "metadata": {
                        "name": name,
                        "generateName": f"{meta['name']}-",
                        "namespace": meta["namespace"],
                        "uid": _derived_uid("endpointslice", meta.get("uid", "") + key),
                        "resourceVersion": str(self._rv),
                        "generation": 1,
                        "creationTimestamp": meta.get("creationTimestamp"),
                        "labels": labels,
                        "annotations": {
                            "endpoints.kubernetes.io/last-change-trigger-time": meta.get(
                                "creationTimestamp"
                            )
                        },
                        "ownerReferences": [_owner_ref(svc_obj)],
                    },
                    "addressType": "IPv4",
                    "endpoints": endpoints or None,
                    "ports": ports or None,
                }
            )
        return out


# --- module helpers ------------------------------------------------------------------------------


def _resource_of(obj: dict[str, Any]) -> Resource:
    r = resource_of_kind(str(obj.get("kind")), obj.get("apiVersion"))
    if r is None:
        raise admission.bad_request(
            f"the practice cluster does not serve {obj.get('apiVersion')} {obj.get('kind')}"
        )
    return r


def _finish_pod(pod: dict[str, Any], exit_code: int) -> None:
    """The status of a pod whose only container ran to the end (restartPolicy Never)."""
    status = pod["status"]
    status["phase"] = "Succeeded" if exit_code == 0 else "Failed"
    started = status.get("startTime")
    reason = "Completed" if exit_code == 0 else "Error"
    for condition in status.get("conditions") or []:
        if condition["type"] in ("Ready", "ContainersReady"):
            condition.update(status="False", reason="PodCompleted")
            condition.pop("message", None)
        if condition["type"] == "PodReadyToStartContainers":
            condition["status"] = "False"
    for container in status.get("containerStatuses") or []:
        container["ready"] = False
        container["started"] = False
        container["state"] = {
            "terminated": {
                "containerID": container.get("containerID", ""),
                "exitCode": exit_code,
                "finishedAt": started,
                "reason": reason,
                "startedAt": started,
            }
        }


def _scale_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The autoscaling/v1 Scale of a Deployment, ReplicaSet or StatefulSet."""
    meta = obj["metadata"]
    spec = obj.get("spec") or {}
    selector = spec.get("selector") or {}
    status = obj.get("status") or {}
    text = ",".join(f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items()))
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta.get("namespace"),
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
            "creationTimestamp": meta.get("creationTimestamp"),
        },
        "spec": {"replicas": spec.get("replicas", 1)},
        "status": {"replicas": status.get("replicas", 0), "selector": text},
    }


def _has_ip(obj: dict[str, Any]) -> bool:
    return bool((obj.get("status") or {}).get("podIP"))


def _ip_key(ip: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in ip.split("."))
    except ValueError:
        return (0,)


def _derived_uid(kind: str, seed: str) -> str:
    return str(uuid.UUID(bytes=hashlib.blake2s(f"{kind}:{seed}".encode(), digest_size=16).digest()))


def _surge(spec: dict[str, Any], replicas: int) -> int:
    """maxSurge as a number of pods (25% rounds up), for the max-replicas annotation."""
    surge = ((spec.get("strategy") or {}).get("rollingUpdate") or {}).get("maxSurge", "25%")
    if isinstance(surge, int):
        return surge
    if isinstance(surge, str) and surge.endswith("%") and surge[:-1].isdigit():
        return -(-replicas * int(surge[:-1]) // 100)
    return 0


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether an update changes nothing (the API server then keeps the resourceVersion)."""

    def strip(obj: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(obj)
        _meta(out).pop("resourceVersion", None)
        _meta(out).pop("managedFields", None)
        return out

    return strip(old) == strip(new)


def _needs_cluster_ip(spec: dict[str, Any]) -> bool:
    return spec.get("type") != "ExternalName"


def _needs_node_ports(spec: dict[str, Any]) -> bool:
    if spec.get("type") == "NodePort":
        return True
    return (
        spec.get("type") == "LoadBalancer"
        and spec.get("allocateLoadBalancerNodePorts") is not False
    )


def _keep_allocated(new: dict[str, Any], old: dict[str, Any]) -> None:
    """What the Service REST storage does to an update before validating it
    (pkg/registry/core/service/storage: normalizeClusterIPs, patchAllocatedValues,
    dropTypeDependentFields): a Service that leaves its cluster IPs or node ports out keeps
    the allocated ones, a changed clusterIP carries clusterIPs along, and a type that no
    longer needs IPs, node ports or a traffic policy drops the ones left untouched."""
    spec, old_spec = new.get("spec"), old.get("spec") or {}
    if not isinstance(spec, dict):
        return
    # normalizeClusterIPs
    old_ips = old_spec.get("clusterIPs") or []
    if (
        old_ips
        and not spec.get("clusterIPs")
        and spec.get("clusterIP") == old_spec.get("clusterIP")
    ):
        spec["clusterIPs"] = copy.deepcopy(old_ips)
    if spec.get("clusterIP") != old_spec.get("clusterIP"):
        same_ips = (spec.get("clusterIPs") or []) == old_ips
        if old_spec.get("clusterIP") and not spec.get("clusterIP"):
            if same_ips:
                spec.pop("clusterIPs", None)
        elif same_ips:
            spec["clusterIPs"] = [spec["clusterIP"]]
    # patchAllocatedValues
    if _needs_cluster_ip(old_spec) and _needs_cluster_ip(spec):
        if not spec.get("clusterIP") and old_spec.get("clusterIP"):
            spec["clusterIP"] = old_spec["clusterIP"]
        if not spec.get("clusterIPs") and old_ips:
            spec["clusterIPs"] = copy.deepcopy(old_ips)
    new_ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
    old_ports = [p for p in old_spec.get("ports") or [] if isinstance(p, dict)]
    if _needs_node_ports(old_spec) and _needs_node_ports(spec):
        used = {p.get("nodePort") for p in old_ports} & {p.get("nodePort") for p in new_ports}
        by_name = {p.get("name", ""): p.get("nodePort") for p in old_ports}
        for port in new_ports:
            if not port.get("nodePort"):
                before = by_name.get(port.get("name", ""))
                if before and before not in used:
                    port["nodePort"] = before
    # dropTypeDependentFields
    if _needs_cluster_ip(old_spec) and not _needs_cluster_ip(spec):
        if spec.get("clusterIP") == old_spec.get("clusterIP") and (
            spec.get("clusterIPs") == old_spec.get("clusterIPs")
        ):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        for key in ("ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"):
            if spec.get(key) == old_spec.get(key):
                spec.pop(key, None)
    same_node_ports = [p.get("nodePort") for p in new_ports] == [
        p.get("nodePort") for p in old_ports
    ]
    if _needs_node_ports(old_spec) and not _needs_node_ports(spec) and same_node_ports:
        for port in new_ports:
            port.pop("nodePort", None)
    if spec.get("type") != "LoadBalancer":
        spec.pop("allocateLoadBalancerNodePorts", None)
        new.setdefault("status", {})["loadBalancer"] = {}
    same_policy = spec.get("externalTrafficPolicy") == old_spec.get("externalTrafficPolicy")
    if externally_accessible(old_spec) and not externally_accessible(spec) and same_policy:
        spec.pop("externalTrafficPolicy", None)


def _allocation_errors(
    obj: dict[str, Any], old: dict[str, Any] | None, others: list[dict[str, Any]]
) -> list[FieldError]:
    """What the IP and node-port allocators refuse for a Service's requested values."""
    spec = obj.get("spec") or {}
    old_spec = (old or {}).get("spec") or {}
    errors: list[FieldError] = []
    ip = spec.get("clusterIP")
    if ip and ip != "None" and ip != old_spec.get("clusterIP"):
        import ipaddress

        try:
            inside = ipaddress.ip_address(ip) in SERVICE_CIDR
        except ValueError:
            inside = True  # malformed: the rules already refused it
        taken = {o.get("spec", {}).get("clusterIP") for o in others}
        if not inside:
            errors.append(
                FieldError(
                    "Invalid value",
                    "spec.clusterIPs",
                    spec.get("clusterIPs") or [ip],
                    f"failed to allocate IP {ip}: provided IP is not in the valid range. "
                    f"The range of valid IPs is {SERVICE_CIDR}",
                )
            )
        elif ip in taken:
            errors.append(
                FieldError(
                    "Invalid value",
                    "spec.clusterIPs",
                    spec.get("clusterIPs") or [ip],
                    f"failed to allocate IP {ip}: provided IP is already allocated",
                )
            )
    held = {
        p.get("nodePort")
        for o in others
        for p in (o.get("spec") or {}).get("ports") or []
        if p.get("nodePort")
    }
    mine_before = {p.get("nodePort") for p in old_spec.get("ports") or [] if p.get("nodePort")}
    low, high = NODE_PORT_RANGE
    for i, port in enumerate(spec.get("ports") or []):
        number = port.get("nodePort") if isinstance(port, dict) else None
        if not number or number in mine_before or not _needs_node_ports(spec):
            continue
        if not low <= number <= high:
            continue  # the rules already said so, in the allocator's words
        if number in held:
            errors.append(
                FieldError(
                    "Invalid value",
                    f"spec.ports[{i}].nodePort",
                    number,
                    "provided port is already allocated",
                )
            )
    return errors


def _write_allocation(obj: dict[str, Any], svc: ModelService, index: ServiceIndex) -> None:
    """Write the cluster IP, IP families and node ports a Service was given into its spec."""
    spec = obj.setdefault("spec", {})
    service_type = spec.get("type", "ClusterIP")
    if service_type != "ExternalName":
        if spec.get("clusterIP") == "None":
            spec["clusterIPs"] = ["None"]
            if not spec.get("selector"):
                spec.setdefault("ipFamilyPolicy", "RequireDualStack")
                spec.setdefault("ipFamilies", ["IPv4", "IPv6"])
        else:
            ip = spec.get("clusterIP") or index.cluster_ip(svc)
            spec["clusterIP"] = ip
            spec["clusterIPs"] = spec.get("clusterIPs") or [ip]
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
    if _needs_node_ports(spec):
        for port, sp in zip(spec.get("ports") or [], svc.ports, strict=False):
            if not port.get("nodePort"):
                given = index.node_port(svc, sp)
                if given:
                    port["nodePort"] = given


# --- what the server filled in a Service -----------------------------------------------------


def _service_key(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace')}/{meta.get('name')}"


def _allocatables(obj: dict[str, Any]) -> set[tuple[Any, ...]]:
    """The allocated fields a Service spec holds: cluster IPs, each port's node port
    (by port and protocol), the health-check node port."""
    spec = obj.get("spec") or {}
    out: set[tuple[Any, ...]] = set()
    for key in ("clusterIP", "clusterIPs", "healthCheckNodePort"):
        if spec.get(key):
            out.add((key,))
    for port in spec.get("ports") or []:
        if isinstance(port, dict) and port.get("nodePort"):
            out.add(("nodePort", port.get("port"), port.get("protocol", "TCP")))
    return out


def _service_port(spec: dict[str, Any], port: Any, protocol: Any) -> dict[str, Any] | None:
    """The entry of `spec.ports` for port/protocol (how node ports are told apart)."""
    for entry in spec.get("ports") or []:
        if not isinstance(entry, dict):
            continue
        if entry.get("port") == port and entry.get("protocol", "TCP") == protocol:
            return entry
    return None


def _field_value(obj: dict[str, Any], field: tuple[Any, ...]) -> Any:
    spec = obj.get("spec") or {}
    if field[0] != "nodePort":
        return spec.get(field[0])
    entry = _service_port(spec, *field[1:])
    return entry.get("nodePort") if entry else None


def _still_allocated(
    new: dict[str, Any],
    old: dict[str, Any],
    before: set[tuple[Any, ...]],
    written: set[tuple[Any, ...]],
) -> set[tuple[Any, ...]]:
    """After an update: what the server filled in now, and what it had filled in before
    and still holds the same value (a patch or `kubectl edit` carries those along)."""
    kept = {
        f
        for f in before
        if _field_value(old, f) is not None and _field_value(new, f) == _field_value(old, f)
    }
    return kept | (_allocatables(new) - written)


def _drop_fields(obj: dict[str, Any], fields: set[tuple[Any, ...]]) -> None:
    spec = obj.get("spec") or {}
    for field in fields:
        if field[0] != "nodePort":
            spec.pop(field[0], None)
            continue
        entry = _service_port(spec, *field[1:])
        if entry:
            entry.pop("nodePort", None)


def _never_ready(pod: dict[str, Any]) -> bool:
    """A container whose readiness probe runs `false` (as verify gives the scenario's
    not-ready pods, and as a learner may write to see an unready endpoint): no other
    probe is judged, since nothing runs in the practice cluster to fail it."""
    for container in (pod.get("spec") or {}).get("containers") or []:
        command = ((container.get("readinessProbe") or {}).get("exec") or {}).get("command")
        if isinstance(command, list) and command[:1] in (["false"], ["/bin/false"]):
            return True
    return False
