"""StatefulSets, EndpointSlices and Endpoints: validated as the API server does, modelled as
the controllers, kube-proxy and cluster DNS treat them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import make_world
from k8slearn.grading.checks import Answer, check_dns, check_service
from k8slearn.manifests.defaults import apply_defaults
from k8slearn.manifests.validate import validate_text
from k8slearn.model.dns import resolve

STATEFULSET = """apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: pg, image: postgres, ports: [{containerPort: 5432, name: pg}]}]
"""

HEADLESS = """apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
"""

SCENARIO = {
    "namespaces": [{"name": "data"}],
    "pods": [{"name": "client", "namespace": "data", "labels": {"app": "client"}}],
    "externals": [{"name": "legacy-db", "ip": "192.0.2.10"}],
}


def errors(text: str) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in validate_text(text).all_problems() if p.is_error]


# -- StatefulSet ----------------------------------------------------------------------------------


def test_stateful_set_defaults():
    obj = apply_defaults("StatefulSet", {"spec": {"template": {"spec": {"containers": []}}}})
    spec = obj["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"partition": 0, "maxUnavailable": 1},
    }
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain",
        "whenScaled": "Retain",
    }
    assert (spec["replicas"], spec["revisionHistoryLimit"]) == (1, 10)
    assert spec["template"]["spec"]["restartPolicy"] == "Always"
    # A RollingUpdate written without rollingUpdate keeps it absent.
    written = apply_defaults("StatefulSet", {"spec": {"updateStrategy": {"type": "RollingUpdate"}}})
    assert "rollingUpdate" not in written["spec"]["updateStrategy"]


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("name: db, namespace", "name: db.v1, namespace", "metadata.name", ""),
        ("serviceName: db", "serviceName: DB", "spec.serviceName", ""),
        ("replicas: 2", "replicas: -1", "spec.replicas", "must be greater than or equal to 0"),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  podManagementPolicy: Sequential\n",
            "spec.podManagementPolicy",
            "must be 'OrderedReady' or 'Parallel'",
        ),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  updateStrategy: {type: OnDelete, rollingUpdate: {partition: 1}}\n",
            "spec.updateStrategy.rollingUpdate",
            "only allowed for updateStrategy 'RollingUpdate'",
        ),
        (
            "  replicas: 2\n",
            "  replicas: 2\n  updateStrategy: {rollingUpdate: {maxUnavailable: 0}}\n",
            "spec.updateStrategy.rollingUpdate.maxUnavailable",
            "cannot be 0",
        ),
        (
            "selector: {matchLabels: {app: db}}",
            "selector: {}",
            "spec.selector",
            "must not be empty",
        ),
        (
            "labels: {app: db}}",
            "labels: {app: pg}}",
            "spec.template.metadata.labels",
            "`selector` does not match template `labels`",
        ),
        (
            "    spec:\n",
            "    spec:\n      activeDeadlineSeconds: 5\n",
            "spec.template.spec.activeDeadlineSeconds",
            "not Supported",
        ),
    ],
)
def test_stateful_set_rules(old, new, field, message):
    text = STATEFULSET.replace(old, new, 1)
    assert text != STATEFULSET
    found = errors(text)
    assert any(f == field and message in m for f, m in found), found


def test_stateful_set_pods_have_stable_names_hostnames_and_dns():
    world = make_world(SCENARIO, STATEFULSET + "---\n" + HEADLESS)
    pods = {p.key: p for p in world.scenario.pods}
    assert [k for k in pods if k.startswith("data/db-")] == ["data/db-0", "data/db-1"]
    db1 = pods["data/db-1"]
    assert (db1.hostname, db1.subdomain) == ("db-1", "db")
    assert db1.labels["statefulset.kubernetes.io/pod-name"] == "db-1"
    assert db1.labels["apps.kubernetes.io/pod-index"] == "1"
    assert resolve(world.services, "db-1.db.data.svc.cluster.local").values == (db1.ip,)
    assert resolve(world.services, "db-0.db", "data").values == (pods["data/db-0"].ip,)
    assert set(resolve(world.services, "db.data.svc.cluster.local").values) == {
        pods["data/db-0"].ip,
        db1.ip,
    }
    assert resolve(world.services, "db-2.db.data.svc.cluster.local") is None
    # ordinals.start shifts the names
    shifted = STATEFULSET.replace("replicas: 2", "replicas: 2\n  ordinals: {start: 5}")
    assert {p.name for p in make_world(SCENARIO, shifted).scenario.pods} >= {"db-5", "db-6"}


def test_per_pod_names_need_a_headless_service_named_like_the_subdomain():
    with_cluster_ip = HEADLESS.replace("  clusterIP: None\n", "")
    world = make_world(SCENARIO, STATEFULSET + "---\n" + with_cluster_ip)
    assert resolve(world.services, "db-0.db.data.svc.cluster.local") is None
    check = {"lookup": "db-0.db.data.svc.cluster.local", "resolves_to": ["data/db-0"]}
    answer = Answer(world, [])
    failed = check_dns(check, answer)
    assert not failed.passed and "has a virtual IP (set `clusterIP: None`)" in failed.message
    other_name = HEADLESS.replace("name: db, namespace", "name: postgres, namespace")
    world = make_world(SCENARIO, STATEFULSET + "---\n" + other_name)
    failed = check_dns(
        {"lookup": "db-0.postgres.data.svc.cluster.local", "resolves_to": ["data/db-0"]},
        Answer(world, []),
    )
    assert "subdomain is db, not postgres" in failed.message
    good = make_world(SCENARIO, STATEFULSET + "---\n" + HEADLESS)
    passed = check_dns(check, Answer(good, []))
    assert passed.passed and passed.message.startswith(
        "db-0.db.data.svc.cluster.local resolves to data/db-0 ("
    )


# -- EndpointSlice and Endpoints ------------------------------------------------------------------

SELECTORLESS = """apiVersion: v1
kind: Service
metadata: {name: legacy, namespace: data}
spec:
  ports: [{name: pg, port: 5432}]
"""

SLICE = """apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: legacy-1
  namespace: data
  labels: {kubernetes.io/service-name: legacy}
addressType: IPv4
endpoints:
  - addresses: [192.0.2.10]
ports: [{name: pg, port: 6543}]
"""

ENDPOINTS = """apiVersion: v1
kind: Endpoints
metadata: {name: legacy, namespace: data}
subsets:
  - addresses: [{ip: 192.0.2.10}]
    ports: [{name: pg, port: 6543}]
"""


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        (SLICE.replace("addressType: IPv4", "addressType: ipv4"), "addressType", "ipv4"),
        (SLICE.replace("[192.0.2.10]", "[]"), "endpoints[0].addresses", "at least 1 address"),
        (SLICE.replace("192.0.2.10", "127.0.0.1"), "endpoints[0].addresses[0]", "loopback range"),
        (
            SLICE.replace("192.0.2.10", "169.254.169.254"),
            "endpoints[0].addresses[0]",
            "link-local range",
        ),
        (
            SLICE.replace("192.0.2.10", "2001:db8::1"),
            "endpoints[0].addresses[0]",
            "valid IPv4 address",
        ),
        (
            SLICE.replace("ports: [{name: pg, port: 6543}]", "ports: [{port: 1}, {port: 2}]"),
            "ports[1].name",
            "Duplicate value",
        ),
        (
            ENDPOINTS.replace("ports: [{name: pg, port: 6543}]", "ports: [{port: 1}, {port: 2}]"),
            "subsets[0].ports[0].name",
            "each port needs a name",
        ),
        (
            ENDPOINTS.replace("[{ip: 192.0.2.10}]", "[{ip: 0.0.0.0}]"),
            "subsets[0].addresses[0].ip",
            "may not be unspecified",
        ),
        (
            ENDPOINTS.replace("  - addresses: [{ip: 192.0.2.10}]\n", "  - ports: []\n").replace(
                "    ports: [{name: pg, port: 6543}]\n", ""
            ),
            "subsets[0]",
            "`addresses` or `notReadyAddresses`",
        ),
    ],
)
def test_endpoint_rules(text, field, message):
    found = errors(text)
    assert any(f == field and message in m for f, m in found), found


def test_a_service_without_a_selector_reaches_its_hand_written_endpoints():
    world = make_world(SCENARIO, SELECTORLESS + "---\n" + SLICE)
    svc = world.services.get("data/legacy")
    [backend] = world.services.endpoints(svc, svc.ports[0])
    assert (backend.target.key, backend.port) == ("legacy-db", 6543)  # the slice's port, by name
    assert world.reach_service("data/client", "data/legacy", 5432).allowed
    # No label, no Service: kube-proxy ignores a slice that names none.
    unlabelled = SLICE.replace("  labels: {kubernetes.io/service-name: legacy}\n", "")
    world = make_world(SCENARIO, SELECTORLESS + "---\n" + unlabelled)
    assert world.services.endpoints(svc, svc.ports[0]) == []
    # A not-ready endpoint gets no traffic.
    not_ready = SLICE.replace(
        "  - addresses: [192.0.2.10]", "  - addresses: [192.0.2.10]\n    conditions: {ready: false}"
    )
    world = make_world(SCENARIO, SELECTORLESS + "---\n" + not_ready)
    assert not world.reach_service("data/client", "data/legacy", 5432).allowed


def test_endpoints_are_mirrored_only_for_a_service_without_a_selector():
    world = make_world(SCENARIO, SELECTORLESS + "---\n" + ENDPOINTS)
    svc = world.services.get("data/legacy")
    assert [b.target.key for b in world.services.endpoints(svc, svc.ports[0])] == ["legacy-db"]
    with_selector = SELECTORLESS.replace("spec:\n", "spec:\n  selector: {app: legacy}\n")
    world = make_world(SCENARIO, with_selector + "---\n" + ENDPOINTS)
    svc = world.services.get("data/legacy")
    assert world.services.endpoints(svc, svc.ports[0]) == []
    skipped = ENDPOINTS.replace(
        "metadata: {name: legacy, namespace: data}",
        'metadata: {name: legacy, namespace: data, labels: {endpointslice.kubernetes.io/skip-mirror: "true"}}',
    )
    world = make_world(SCENARIO, SELECTORLESS + "---\n" + skipped)
    svc = world.services.get("data/legacy")
    assert world.services.endpoints(svc, svc.ports[0]) == []


def test_a_headless_service_without_a_selector_resolves_to_its_slices():
    headless = SELECTORLESS.replace("spec:\n", "spec:\n  clusterIP: None\n")
    named = SLICE.replace(
        "  - addresses: [192.0.2.10]", "  - addresses: [192.0.2.10]\n    hostname: primary"
    )
    world = make_world(SCENARIO, headless + "---\n" + named)
    assert resolve(world.services, "legacy.data.svc.cluster.local").values == ("192.0.2.10",)
    assert resolve(world.services, "primary.legacy.data.svc.cluster.local").values == (
        "192.0.2.10",
    )


def test_scenario_objects_may_be_endpoint_slices(tmp_path: Path):
    from k8slearn.model.scenario import load_scenario

    scenario: dict[str, Any] = {**SCENARIO, "objects": []}
    import yaml

    scenario["objects"] = [yaml.safe_load(SELECTORLESS), yaml.safe_load(SLICE)]
    loaded, problems = load_scenario(scenario)
    assert loaded is not None, problems
    world = make_world(scenario)
    assert world.reach_service("data/client", "data/legacy", 5432).answered() == ["legacy-db"]


def test_internal_traffic_policy_local_never_reaches_an_address_outside():
    local = SELECTORLESS.replace("spec:\n", "spec:\n  internalTrafficPolicy: Local\n")
    world = make_world(SCENARIO, local + "---\n" + SLICE)
    reach = world.reach_service("data/client", "data/legacy", 5432)
    assert not reach.allowed and "there are none, so it is dropped" in reach.note


def test_a_headless_service_without_a_selector_is_reached_at_its_slice_addresses():
    headless = SELECTORLESS.replace("spec:\n", "spec:\n  clusterIP: None\n")
    world = make_world(SCENARIO, headless + "---\n" + SLICE)
    reach = world.reach_service("data/client", "data/legacy", 5432)
    # DNS hands out the slice's address; the client dials the port it asked for, not the slice's
    assert [(t.key, port) for t, port, _ in reach.backends] == [("legacy-db", 5432)]
    assert "endpoints' IPs" in reach.note
    empty = make_world(SCENARIO, headless)
    assert empty.reach_service("data/client", "data/legacy", 5432).backends == []


def test_a_slice_written_for_a_service_with_a_selector_is_merged_with_the_pods():
    scenario = {
        **SCENARIO,
        "pods": [*SCENARIO["pods"], {"name": "pg-0", "namespace": "data", "labels": {"app": "pg"}}],
    }
    with_selector = SELECTORLESS.replace("spec:\n", "spec:\n  selector: {app: pg}\n")
    world = make_world(scenario, with_selector + "---\n" + SLICE)
    svc = world.services.get("data/legacy")
    # kube-proxy reads every slice labelled with the Service's name, the controller's and this
    assert [(b.target.key, b.port) for b in world.services.endpoints(svc, svc.ports[0])] == [
        ("data/pg-0", 5432),
        ("legacy-db", 6543),
    ]


def test_dns_reads_only_the_ready_condition_of_a_written_slice():
    headless = SELECTORLESS.replace(
        "spec:\n", "spec:\n  clusterIP: None\n  publishNotReadyAddresses: true\n"
    )
    not_ready = SLICE.replace(
        "  - addresses: [192.0.2.10]",
        "  - addresses: [192.0.2.10]\n    hostname: primary\n    conditions: {ready: false}",
    )
    world = make_world(SCENARIO, headless + "---\n" + not_ready)
    # publishNotReadyAddresses acts through the EndpointSlice controller, not through DNS
    assert resolve(world.services, "legacy.data.svc.cluster.local").values == ()
    assert resolve(world.services, "primary.legacy.data.svc.cluster.local") is None


def _answer(text: str, scenario: dict[str, Any] = SCENARIO) -> Answer:
    report = validate_text(text)
    assert report.valid, report.all_problems()
    return Answer(make_world(scenario, text), report.manifests)


@pytest.mark.parametrize(
    ("answer", "passes", "message"),
    [
        # targetPort and publishNotReadyAddresses do nothing without a selector
        (SELECTORLESS.replace("5432}", "5432, targetPort: 9999}") + "---\n" + SLICE, True, ""),
        (
            SELECTORLESS.replace("spec:\n", "spec:\n  publishNotReadyAddresses: true\n")
            + "---\n"
            + SLICE,
            True,
            "",
        ),
        (SELECTORLESS + "---\n" + SLICE.replace("6543", "6544"), False, "legacy-db:6544"),
        (
            SELECTORLESS + "---\n" + SLICE.replace("name: pg, port", "name: db, port"),
            False,
            "sends traffic to nothing",
        ),
        (SELECTORLESS + "---\n" + SLICE.replace("192.0.2.10", "192.0.2.11"), False, "192.0.2.11"),
        (SELECTORLESS, False, "sends traffic to nothing"),
    ],
)
def test_a_selectorless_service_is_compared_by_its_endpoints(answer, passes, message):
    solution = _answer(SELECTORLESS + "---\n" + SLICE).world
    result = check_service(
        {"service": "data/legacy", "compare": "solution"}, _answer(answer), solution
    )
    assert result.passed == passes, result.message
    assert message in result.message


def test_a_headless_selectorless_service_is_compared_by_what_dns_gives_out():
    headless = SELECTORLESS.replace("spec:\n", "spec:\n  clusterIP: None\n")
    solution = _answer(headless + "---\n" + SLICE).world
    renumbered = _answer(headless + "---\n" + SLICE.replace("6543", "6544"))
    # a headless Service's client dials its own port: the slice's port number changes nothing
    assert check_service(
        {"service": "data/legacy", "compare": "solution"}, renumbered, solution
    ).passed
    moved = _answer(headless + "---\n" + SLICE.replace("192.0.2.10", "192.0.2.11"))
    result = check_service({"service": "data/legacy", "compare": "solution"}, moved, solution)
    assert not result.passed and "resolves to 192.0.2.11" in result.message


@pytest.mark.parametrize(
    ("slice_text", "reason"),
    [
        ("", "no EndpointSlice labelled kubernetes.io/service-name: legacy"),
        (SLICE.replace("192.0.2.10", "192.0.2.11"), "lists 192.0.2.10"),
        (SLICE.replace("name: pg, port", "name: db, port"), "no TCP port named 'pg'"),
        (
            SLICE.replace(
                "  - addresses: [192.0.2.10]",
                "  - addresses: [192.0.2.10]\n    conditions: {ready: false}",
            ),
            "is not ready",
        ),
    ],
)
def test_a_missing_written_endpoint_says_why(slice_text, reason):
    text = SELECTORLESS + ("---\n" + slice_text if slice_text else "")
    spec = {"service": "data/legacy", "endpoints": ["legacy-db"]}
    result = check_service(spec, _answer(text), None)
    assert not result.passed and reason in result.message, result.message


def test_an_empty_selector_with_written_slices_is_not_called_out():
    from k8slearn.grading.lints import lint

    empty = SELECTORLESS.replace("spec:\n", "spec:\n  selector: {}\n")
    codes = [found.code for found in lint(_answer(empty).manifests, _answer(empty).world)]
    assert "service-selects-nothing" in codes
    both = empty + "---\n" + SLICE
    codes = [found.code for found in lint(_answer(both).manifests, _answer(both).world)]
    assert "service-selects-nothing" not in codes


def test_a_backend_at_an_address_the_scenario_lacks_is_explained_not_a_crash():
    from k8slearn.grading.checks import check_connectivity

    deny_out = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: data}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 192.0.2.10/32}}]}]
"""
    stray = SLICE.replace("192.0.2.10", "192.0.2.99")  # a typo: no host of the scenario
    cell = {"from": "data/client", "to": "svc:data/legacy", "port": 5432, "allowed": True}
    [result] = check_connectivity(
        {"connectivity": [cell]}, _answer(SELECTORLESS + "---\n" + stray + "---\n" + deny_out)
    )
    assert not result.passed and "backend 192.0.2.99 refuses it on 6543" in result.message
    [result] = check_connectivity(
        {"connectivity": [{**cell, "allowed": False}]}, _answer(SELECTORLESS + "---\n" + stray)
    )
    assert not result.passed and "(backend 192.0.2.99:6543) but should not" in result.message
