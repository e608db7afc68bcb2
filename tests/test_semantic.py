"""A pass means right: the semantic comparison over invented pods, namespaces, addresses
and ports, its counterexamples, its fairness rules, and property tests against a
brute-force judge over an exhaustive universe."""

from __future__ import annotations

import ipaddress
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import semantic_strategies as strategies
from k8slearn.grading.grader import Grader
from k8slearn.manifests.validate import validate_text
from k8slearn.model.decoys import Vocabulary, invent
from k8slearn.model.equivalence import compare_policies, compare_services
from k8slearn.model.scenario import NAME_LABEL, load_scenario
from k8slearn.model.world import World
from k8slearn.packs.library import load_library
from k8slearn.packs.mutants import mutants


@pytest.fixture(scope="module")
def pack():
    library = load_library([])
    return {ex.id: ex for p in library.packs for ex in p.exercises()}


def graded(pack, exercise_id: str, answer: str):
    return Grader(pack[exercise_id]).grade(answer)


def solution(pack, exercise_id: str) -> str:
    return pack[exercise_id].solution


def failure(grade, name: str = "whole truth table"):
    [check] = [c for c in grade.checks if c.name == name]
    assert not check.passed
    return check


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# -- the subtly wrong answers now fail, each with a counterexample -------------------------


def without_decoys(exercise, namespaces=(), externals=()):
    """The exercise on its scenario without the decoys that show a mistake in the matrix, so
    that only the comparison beyond the scenario can catch it."""
    from dataclasses import replace

    scenario = dict(exercise.scenario)
    scenario["namespaces"] = [n for n in scenario["namespaces"] if n["name"] not in namespaces]
    scenario["pods"] = [p for p in scenario["pods"] if p.get("namespace") not in namespaces]
    scenario["externals"] = [e for e in scenario.get("externals", []) if e["name"] not in externals]
    return Grader(replace(exercise, scenario=scenario))


def test_namespace_by_name_instead_of_its_team_label(pack):
    answer = solution(pack, "netpol-and-vs-or").replace(
        "team: ops", "kubernetes.io/metadata.name: monitoring"
    )
    # The pack's scenario shows it (a second ops namespace, logging, with its own Prometheus)…
    shown = failure(graded(pack, "netpol-and-vs-or", answer))
    assert "logging/prometheus → shop/api:9100/TCP is denied but should be allowed" in shown.message
    # …and without that decoy, the comparison beyond the scenario still catches it.
    grader = without_decoys(pack["netpol-and-vs-or"], namespaces={"logging"})
    check = failure(grader.grade(answer))
    assert "connections of this scenario match the solution's" in check.message
    assert "monitoring-2/prometheus → shop/api:9100/TCP would be refused by your answer" in (
        check.message
    )
    assert "a new namespace monitoring-2 labelled team=ops, not in this scenario" in check.message
    assert (
        "admits pods with app=prometheus of namespaces with kubernetes.io/metadata.name=monitoring, and"
        in check.message
    )
    assert check.line == line_of(answer, "- from:")  # the rule that does not admit it


def test_except_that_leaves_part_of_the_guest_network_in(pack):
    answer = solution(pack, "netpol-ipblock-except").replace("203.0.113.128/25", "203.0.113.192/26")
    shown = failure(graded(pack, "netpol-ipblock-except", answer))
    assert "guest-kiosk → shop/frontend:80/TCP is allowed but should be denied" in shown.message
    grader = without_decoys(
        pack["netpol-ipblock-except"], externals={"guest-kiosk", "office-printer", "next-door"}
    )
    check = failure(grader.grade(answer))
    assert "203.0.113.128 → shop/frontend:80/TCP would be allowed by your answer" in check.message
    assert "a host outside the cluster at 203.0.113.128, not in this scenario" in check.message
    assert check.line == line_of(answer, "- from:")


def test_port_range_that_opens_a_thousand_more_ports(pack):
    answer = solution(pack, "netpol-endport-range").replace("port: 7000", "port: 6000")
    check = failure(graded(pack, "netpol-endport-range", answer))
    # The scenario declares 6999 and 7010, just outside the range: the mistake shows there.
    assert "lobby/player → games/match-1:6999/TCP is allowed but should be denied" in check.message
    assert "6000-7009/TCP" in check.message


def test_a_port_no_pod_declares_is_probed_beyond_the_scenario():
    wider = POLICY.replace("endPort: 8100", "endPort: 8101")
    found = compare_policies(world(wider), world(POLICY), [(8080, "TCP")])
    example = found.counterexample
    assert example is not None and example.port == (8101, "TCP") and example.answer_allows
    assert "port 8101/TCP" in [i.words for i in example.invented]
    assert not found.scenario_differences


@pytest.mark.parametrize(
    ("exercise", "peer", "label"),
    [
        ("egress-to-service-backends", "kubernetes.io/metadata.name: payments", "app=gateway"),
        ("three-tier-fix-this", None, "tier=backend"),
        ("three-tier-ingress-policies", None, "tier=frontend"),
    ],
)
def test_empty_namespace_selector_beside_a_pod_selector(pack, exercise, peer, label):
    text = solution(pack, exercise)
    if peer:  # widen the peer's namespaceSelector to {}
        answer = text.replace(
            f"namespaceSelector:\n            matchLabels:\n              {peer}",
            "namespaceSelector: {}",
        )
    else:  # put a `namespaceSelector: {}` into the first pod-only peer of the policy for `label`
        key, value = label.split("=")
        pod_only = (
            f"        - podSelector:\n            matchLabels:\n              {key}: {value}\n"
        )
        assert pod_only in text
        answer = text.replace(
            pod_only,
            f"        - namespaceSelector: {{}}\n          podSelector:\n            matchLabels:\n              {key}: {value}\n",
            1,
        )
    assert answer != text
    check = failure(graded(pack, exercise, answer))
    assert f"pods with {label} of every namespace" in check.message
    if "not in this scenario" in check.message:  # the scenario has no such pod elsewhere
        assert "would be allowed by your answer but not by the solution" in check.message
        assert re.search(r"is a copy of \S+ \([^)]*\) in namespace \S+, not in this", check.message)
    else:  # the scenario carries a decoy that shows it: another namespace's look-alike
        assert "is allowed but should be denied" in check.message


def test_node_port_picked_although_the_prompt_says_not_to(pack):
    answer = solution(pack, "nodeport-auto-allocated").replace(
        "targetPort: https", "targetPort: https\n      nodePort: 30443"
    )
    assert answer != solution(pack, "nodeport-auto-allocated")
    grade = graded(pack, "nodeport-auto-allocated", answer)
    check = failure(grade, "Service default/dashboard fields")
    assert "`spec.ports[port=443].nodePort` is set to 30443; leave it out" in check.message
    assert check.line == line_of(answer, "nodePort: 30443")


# -- answers that mean the same pass, however they are written -------------------------------------


@pytest.mark.parametrize(
    ("exercise", "old", "new"),
    [
        # matchExpressions for matchLabels
        (
            "netpol-and-vs-or",
            "matchLabels:\n              team: ops",
            "matchExpressions:\n              - {key: team, operator: In, values: [ops]}",
        ),
        # a named port that every selected pod maps to the number the prompt gives
        ("netpol-and-vs-or", "port: 9100", "port: metrics"),
        # a pod-only peer written as its own namespace's name + podSelector
        (
            "netpol-allow-from-frontend",
            "        - podSelector:",
            "        - namespaceSelector:\n            matchLabels:\n              kubernetes.io/metadata.name: shop\n          podSelector:",
        ),
        # defaults left out (policyTypes, protocol)
        ("netpol-ipblock-except", "  policyTypes:\n    - Ingress\n", ""),
        ("netpol-ipblock-except", "- protocol: TCP\n          port: 80", "- port: 80"),
    ],
)
def test_equivalent_rewrites_pass(pack, exercise, old, new):
    text = solution(pack, exercise)
    assert old in text
    answer = text.replace(old, new, 1)
    grade = graded(pack, exercise, answer)
    assert grade.passed, [c.message for c in grade.failed_checks()]
    [check] = [c for c in grade.checks if c.name == "whole truth table"]
    assert "more with pods, namespaces, addresses and ports this scenario does not have" in (
        check.message
    )


def test_ports_one_by_one_instead_of_end_port_pass(pack):
    text = solution(pack, "netpol-endport-range")
    spelled = "\n".join(f"        - protocol: TCP\n          port: {p}" for p in range(7000, 7010))
    answer = re.sub(
        r"        - protocol: TCP\n          port: 7000\n          endPort: 7009", spelled, text
    )
    assert answer != text
    assert graded(pack, "netpol-endport-range", answer).passed


def test_one_policy_split_in_two_passes(pack):
    text = solution(pack, "egress-default-deny-with-dns")
    grade = graded(pack, "egress-default-deny-with-dns", text)
    assert grade.passed
    # The same policy once more under another name changes nothing.
    doubled = text + "\n---\n" + text.split("---")[-1].replace("name: ", "name: copy-", 1)
    assert graded(pack, "egress-default-deny-with-dns", doubled).passed


def test_over_scenario_narrows_the_comparison(pack):
    from dataclasses import replace

    exercise = pack["netpol-and-vs-or"]
    narrowed = [
        {"reachability": {"compare": "solution", "over": "scenario"}}
        if "reachability" in check
        else check
        for check in exercise.expect
    ]
    # A Prometheus that is not a canary: no pod of the scenario carries a `tier` label, so only
    # beyond the scenario does that differ.
    answer = exercise.solution.replace(
        "              app: prometheus\n",
        "              app: prometheus\n            matchExpressions:\n"
        "              - {key: tier, operator: NotIn, values: [canary]}\n",
    )
    assert answer != exercise.solution
    assert not graded(pack, "netpol-and-vs-or", answer).passed
    grade = Grader(replace(exercise, expect=narrowed)).grade(answer)
    assert grade.passed, [c.message for c in grade.failed_checks()]


# -- the invented universe ------------------------------------------------------------------------------


SCENARIO = {
    "namespaces": [
        {"name": "shop", "labels": {"team": "shop"}},
        {"name": "ops", "labels": {"team": "ops"}},
    ],
    "pods": [
        {
            "name": "api",
            "namespace": "shop",
            "labels": {"app": "api"},
            "ports": [{"containerPort": 8080, "name": "http"}],
        },
        {"name": "prom", "namespace": "ops", "labels": {"app": "prom"}},
    ],
    "externals": [{"name": "internet", "ip": "198.51.100.7"}],
}

POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
    - from:
        - namespaceSelector: {matchLabels: {team: ops}}
          podSelector: {matchLabels: {app: prom}}
        - ipBlock: {cidr: 10.0.0.0/24, except: [10.0.0.128/25]}
      ports: [{port: 8000, endPort: 8100}]
"""


def world(manifests: str) -> World:
    scenario, problems = load_scenario(SCENARIO)
    assert scenario is not None, problems
    report = validate_text(manifests)
    assert report.valid
    return World(scenario, report.manifests)


def test_invented_objects_are_plausible():
    w = world(POLICY)
    # The answer names the namespace where the solution uses its team label.
    other = world(POLICY.replace("team: ops", "kubernetes.io/metadata.name: ops"))
    vocab = Vocabulary.of_policies([*w.policies, *other.policies])
    universe = invent([w.scenario], vocab, [(8080, "TCP")])
    # Every invented namespace carries its name label, as the API server guarantees.
    for ns in universe.namespaces:
        assert ns.labels[NAME_LABEL] == ns.name
        assert ns.name not in w.scenario.namespaces
    # ...among them one with the selector's labels under another name.
    assert any(ns.labels.get("team") == "ops" for ns in universe.namespaces)
    # A copy keeps the ports of its original, wherever it goes.
    copies = [
        p for p in universe.pods if universe.invented[p.key].words.startswith("a copy of shop/api")
    ]
    assert copies and all(p.ports == w.scenario.pod("shop/api").ports for p in copies)
    # Addresses on both sides of every boundary of the ipBlock.
    ips = [ipaddress.ip_address(e.ip) for e in universe.externals]
    block, excluded = ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("10.0.0.128/25")
    assert any(ip in block and ip not in excluded for ip in ips)  # admitted
    assert any(ip in excluded for ip in ips)  # excepted
    # (outside the block, the scenario's internet host already stands for every address)
    assert all(str(ip) != "198.51.100.7" for ip in ips)
    # The ports at every boundary of the range and one past it, and another protocol.
    assert {(7999, "TCP"), (8000, "TCP"), (8100, "TCP"), (8101, "TCP")} <= set(universe.ports)
    assert any(protocol != "TCP" for _, protocol in universe.ports)
    # No two invented pods that nothing can tell apart.
    classes = [(p.namespace, tuple(sorted(p.labels.items())), p.ports) for p in universe.pods]
    assert len(classes) == len(set(classes))


def test_invented_objects_never_reach_the_matrix(pack):
    answer = solution(pack, "netpol-and-vs-or").replace(
        "team: ops", "kubernetes.io/metadata.name: monitoring"
    )
    grade = graded(pack, "netpol-and-vs-or", answer)
    assert not grade.passed
    keys = {e.key for e in grade.world.table(grade.ports).endpoints}
    assert keys == {p.key for p in Grader(pack["netpol-and-vs-or"]).scenario.pods} | {
        e.key for e in Grader(pack["netpol-and-vs-or"]).scenario.externals
    }


def test_a_named_port_differs_only_where_real_pods_map_it_differently():
    named = POLICY.replace("ports: [{port: 8000, endPort: 8100}]", "ports: [{port: http}]")
    numbered = POLICY.replace("ports: [{port: 8000, endPort: 8100}]", "ports: [{port: 8080}]")
    # api names 8080 `http`: the same on every pod the policy selects, real or copied.
    assert compare_policies(world(named), world(numbered), [(8080, "TCP")]).equivalent


def test_two_replicas_of_one_pod_are_compared():
    # One pod in shop: only a second replica of it shows that the answer cuts them apart.
    deny = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
"""
    allow_own = deny + "  ingress: [{from: [{podSelector: {}}]}]\n"
    found = compare_policies(
        world(deny),
        world(
            allow_own.replace(
                "spec: {podSelector: {}, policyTypes: [Ingress]}\n  ",
                "spec:\n  podSelector: {}\n  policyTypes: [Ingress]\n  ",
            )
        ),
        [(8080, "TCP")],
    )
    example = found.counterexample
    assert example is not None and not example.answer_allows
    assert example.destination.key == "shop/api" and example.source.key == "shop/api-replica"
    assert "a second pod exactly like shop/api" in [i.words for i in example.invented]


# -- Services -------------------------------------------------------------------------------------------


def service(selector: str = "app: web", extra: str = "", target: str = "8080") -> str:
    return f"""apiVersion: v1
kind: Service
metadata: {{name: web, namespace: default}}
spec:
  selector: {{{selector}}}
  ports: [{{port: 80, targetPort: {target}{extra}}}]
"""


WEB = {
    "pods": [
        {
            "name": "web-1",
            "labels": {"app": "web", "tier": "fe"},
            "ports": [{"containerPort": 8080, "name": "http"}],
        },
        {"name": "client", "labels": {"app": "client"}},
    ]
}


def service_world(text: str) -> World:
    scenario, _ = load_scenario(WEB)
    return World(scenario, validate_text(text).manifests)


def differences(answer: str, expected: str = service()):
    return compare_services(service_world(answer), service_world(expected), "default/web")


def test_service_selector_broader_or_narrower_than_the_solutions():
    [broader] = differences(service("tier: fe"))
    assert broader.aspect == "selector"
    assert "also picks default/web-1-copy (a copy of default/web-1 without the label app" in (
        broader.message
    )
    [narrower] = differences(service("app: web, tier: fe"))
    assert "misses default/web-1-copy" in narrower.message and "without the label tier" in (
        narrower.message
    )


def test_service_target_named_or_numbered_alike_and_allocations():
    assert differences(service(target="http")) == []
    [wrong] = differences(service(target="9090"))
    assert wrong.aspect == "targetPort" and "container port 9090 on default/web-1" in wrong.message
    nodeport = service(extra="").replace("spec:\n", "spec:\n  type: NodePort\n")
    fixed = nodeport.replace("targetPort: 8080", "targetPort: 8080, nodePort: 30080")
    [picked] = differences(fixed, nodeport)
    assert picked.aspect == "allocation" and not picked.graded  # only `absent` forbids it
    [left] = differences(nodeport, fixed)
    assert left.aspect == "nodePort" and left.message.startswith("port 80/TCP is on node port 3")
    assert left.message.endswith("; the solution's on 30080")
    # 53/UDP and 53/TCP share the node port one of them asks for, written there or not.
    dns = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec:\n"
        "  type: NodePort\n  selector: {app: web}\n  ports:\n"
        "    - {name: u, port: 53, protocol: UDP, nodePort: 30053}\n"
        "    - {name: t, port: 53, protocol: TCP%s}\n"
    )
    assert differences(dns % "", dns % ", nodePort: 30053") == []
    # Session affinity differs, but only a `fields` check fails an answer for it.
    [sticky] = differences(
        service(extra="").replace("spec:\n", "spec:\n  sessionAffinity: ClientIP\n")
    )
    assert sticky.aspect == "sessionAffinity" and not sticky.graded


# -- property tests -------------------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)


@PROPERTY
@given(st.data())
def test_meaning_preserving_rewrites_are_equivalent(data):
    raw = data.draw(strategies.scenarios())
    policies = data.draw(strategies.policies())
    how, rewritten = strategies.rewrite(data.draw, policies)
    scenario, _ = load_scenario(raw)
    # The brute-force judge agrees that the rewrite keeps the meaning...
    assert not strategies.brute_force_differs(scenario, policies, rewritten), how
    # ...and the semantic comparison finds no difference anywhere.
    found = compare_policies(
        World(scenario, strategies.manifests(rewritten)),
        World(scenario, strategies.manifests(policies)),
        [(80, "TCP")],
    )
    assert found.equivalent, (how, found.counterexample)


@PROPERTY
@given(st.data())
def test_single_mutations_that_change_the_meaning_are_caught(data):
    raw = data.draw(strategies.scenarios())
    policies = data.draw(strategies.policies())
    scenario, _ = load_scenario(raw)
    candidates = [m for m in mutants(policies, scenario) if validate_text(m.text).valid]
    if not candidates:
        return
    mutant = data.draw(st.sampled_from(candidates))
    mutated = list(yaml.safe_load_all(mutant.text))
    differs = strategies.brute_force_differs(scenario, policies, mutated)
    found = compare_policies(
        World(scenario, strategies.manifests(mutated)),
        World(scenario, strategies.manifests(policies)),
        [(80, "TCP")],
    )
    # Exactly the mutants that differ somewhere in the exhaustive universe are told apart.
    assert found.equivalent is not differs, (mutant.name, found.counterexample)


def test_a_label_no_pod_of_the_scenario_carries_is_still_tried():
    # Found by the property test: `app DoesNotExist` and `{}` agree on pods without labels,
    # and only a pod that carries the key tells them apart.
    scenario, _ = load_scenario(
        {"namespaces": [{"name": "a"}], "pods": [{"name": "p", "namespace": "a"}]}
    )
    policy = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: a}
spec:
  podSelector: {matchExpressions: [{key: app, operator: DoesNotExist}]}
  policyTypes: [Ingress]
"""
    worlds = [
        World(scenario, validate_text(text).manifests)
        for text in (
            policy,
            policy.replace("{matchExpressions: [{key: app, operator: DoesNotExist}]}", "{}"),
        )
    ]
    example = compare_policies(worlds[1], worlds[0], [(80, "TCP")]).counterexample
    assert example is not None and example.destination.labels.get("app") == "other"
    assert "with the label app=other added" in example.invented[0].words


def test_the_fewest_labels_a_selector_matches():
    from k8slearn.model.decoys import satisfying
    from k8slearn.model.selectors import LabelSelector

    def fewest(raw):
        return satisfying(LabelSelector.from_dict(raw), {"app": {"other"}})

    assert fewest({}) == {}
    assert fewest(
        {
            "matchLabels": {"app": "a"},
            "matchExpressions": [{"key": "app", "operator": "In", "values": ["a", "b"]}],
        }
    ) == {"app": "a"}
    assert fewest(
        {
            "matchExpressions": [
                {"key": "app", "operator": "In", "values": ["a", "b"]},
                {"key": "app", "operator": "NotIn", "values": ["a"]},
            ]
        }
    ) == {"app": "b"}
    assert fewest({"matchExpressions": [{"key": "app", "operator": "Exists"}]}) == {
        "app": "other-2"
    }
    assert fewest({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}) == {}
    assert (
        fewest(
            {
                "matchExpressions": [
                    {"key": "app", "operator": "Exists"},
                    {"key": "app", "operator": "DoesNotExist"},
                ]
            }
        )
        is None
    )


def test_an_answer_that_adds_a_pod_is_compared_on_the_pods_both_sides_know():
    extra_pod = """
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop, labels: {app: prom}}
spec: {containers: [{name: c, image: busybox}]}
"""
    same = compare_policies(world(POLICY + extra_pod), world(POLICY), [(8080, "TCP")])
    assert same.equivalent
    # The added pod is not compared (the solution has no such pod), but a difference elsewhere is.
    wider = POLICY.replace("{matchLabels: {team: ops}}", "{}")
    found = compare_policies(world(wider + extra_pod), world(POLICY), [(8080, "TCP")])
    assert found.counterexample is not None
    assert "shop/debug" not in {
        found.counterexample.source.key,
        found.counterexample.destination.key,
    }
