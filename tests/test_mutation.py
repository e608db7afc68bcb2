"""Mutation testing: the edits, the verdicts (killed, surviving, equivalent, accepted) and
how `pack validate` reports them."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from k8slearn.cli import main
from k8slearn.grading.grader import Grader
from k8slearn.manifests.validate import validate_text
from k8slearn.model.scenario import load_scenario
from k8slearn.packs.format import load_pack
from k8slearn.packs.mutants import mutants
from k8slearn.packs.mutation import mutation_test
from k8slearn.packs.scaffold import new_pack
from k8slearn.packs.validate import validate_pack

EXERCISE = Path("01-first-lesson") / "exercises" / "01-expose-web.yaml"

POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "db", "namespace": "shop"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "db"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [
                    {
                        "namespaceSelector": {"matchLabels": {"team": "ops"}},
                        "podSelector": {"matchLabels": {"app": "api"}},
                    },
                    {"ipBlock": {"cidr": "10.0.0.0/24", "except": ["10.0.0.0/26"]}},
                ],
                "ports": [{"protocol": "TCP", "port": 5432, "endPort": 5440}],
            }
        ],
    },
}

SCENARIO = {
    "namespaces": [{"name": "shop"}, {"name": "ops", "labels": {"team": "ops"}}],
    "pods": [
        {
            "name": "db",
            "namespace": "shop",
            "labels": {"app": "db"},
            "ports": [{"containerPort": 5432, "name": "pg"}],
        },
        {"name": "api", "namespace": "ops", "labels": {"app": "api"}},
    ],
}


def test_the_edits_an_examinee_makes():
    scenario, _ = load_scenario(SCENARIO)
    found = mutants([POLICY], scenario)
    operators = {m.operator for m in found}
    assert {
        "peers split (AND → OR)",
        "namespaceSelector widened to {}",
        "namespaceSelector dropped (podSelector-only peer)",
        "podSelector dropped (namespaceSelector-only peer)",
        "matchLabels key dropped",
        "Exists for a value",
        "cidr one bit wider",
        "cidr one bit narrower",
        "except dropped",
        "except one bit wider",
        "endPort +1",
        "endPort −1",
        "endPort dropped",
        "port +1",
        "port dropped",
        "protocol changed",
        "policyTypes Ingress dropped",
        "policyTypes Egress added",
        "from dropped (every peer)",
        "rule dropped",
        "namespace dropped (lands in the current namespace)",
    } <= operators
    # Each is one edit of the original, written out as YAML, and no two are the same.
    assert len({m.text for m in found}) == len(found)
    split = next(m for m in found if m.operator == "peers split (AND → OR)")
    assert split.where == "NetworkPolicy shop/db, spec.ingress[0].from[0]"
    [doc] = yaml.safe_load_all(split.text)
    assert doc["spec"]["ingress"][0]["from"][:2] == [
        {"namespaceSelector": {"matchLabels": {"team": "ops"}}},
        {"podSelector": {"matchLabels": {"app": "api"}}},
    ]
    wider = next(m for m in found if m.operator == "cidr one bit wider")
    assert "cidr: 10.0.0.0/23" in wider.text
    # Dropping the only key of the policy's podSelector is the same edit as widening it to {}.
    assert sum("podSelector: {}" in m.text for m in found if "spec.podSelector" in m.where) == 1
    # An except that would no longer fit inside its cidr is not offered (the API refuses it).
    assert all(validate_text(m.text).valid for m in found if m.operator.startswith("except"))


def test_service_edits_use_the_scenarios_port_names():
    scenario, _ = load_scenario(SCENARIO)
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "db", "namespace": "shop"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "db"},
            "ports": [{"port": 5432, "targetPort": "pg"}],
        },
    }
    found = {m.operator: m for m in mutants([service], scenario)}
    assert "targetPort: 5432" in found["targetPort number for its name"].text
    assert "nodePort" in found["nodePort added"].text
    assert "externalTrafficPolicy: Local" in found["externalTrafficPolicy flipped"].text
    assert {
        "type changed to ClusterIP",
        "type changed to LoadBalancer",
        "selector key dropped",
        "internalTrafficPolicy flipped",
        "sessionAffinity ClientIP added",
    } <= set(found)
    assert "internalTrafficPolicy: Local" in found["internalTrafficPolicy flipped"].text


def scaffold(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    new_pack(root)
    return root


def weaken(root: Path) -> None:
    """Leave the template exercise only its endpoints: its compare check is gone."""
    path = root / EXERCISE
    text = path.read_text()
    text = text.replace(
        "    compare: solution               # and in every other way it behaves like the solution's\n",
        "",
    )
    path.write_text(text)


def test_a_weak_exercise_lets_mutants_survive(tmp_path):
    root = scaffold(tmp_path)
    weaken(root)
    pack, _ = load_pack(root)
    result = mutation_test(Grader(pack.exercises()[0]))
    survivors = {m.operator for m in result.survived}
    assert "publishNotReadyAddresses flipped" in survivors
    assert "made headless (clusterIP: None)" not in survivors  # endpoints+targetPort still hold…
    assert result.killed  # …and the swapped ports, the dropped selector key are killed
    assert result.score().startswith(f"{len(result.killed)}/{result.different} (")
    # Equivalent mutants (the same behaviour) are not held against the exercise.
    assert all(m not in result.survived for m in result.equivalent)


def test_pack_validate_reports_survivors_and_strict_makes_them_errors(tmp_path):
    root = scaffold(tmp_path)
    weaken(root)
    report = validate_pack(root)
    assert report.ok  # warnings only
    [warning] = [p for p in report.problems if "publishNotReadyAddresses flipped" in p.message]
    assert warning.severity == "warning"
    assert "passes every check" in warning.message and "accept_mutants" in warning.hint
    assert "mutants killed" in report.summary()
    strict = validate_pack(root, strict=True)
    assert not strict.ok
    runner = CliRunner()
    out = runner.invoke(main, ["pack", "validate", str(root), "--strict"])
    assert out.exit_code == 1
    assert "expose-web: mutation score" in out.output
    quick = runner.invoke(main, ["pack", "validate", str(root), "--no-mutants"])
    assert quick.exit_code == 0 and "mutation score" not in quick.output


def test_accepted_mutants_and_stale_acceptances(tmp_path):
    root = scaffold(tmp_path)
    weaken(root)
    path = root / EXERCISE
    text = path.read_text()
    text = text.replace(
        "tags: [",
        "accept_mutants:\n"
        "  - mutant: publishNotReadyAddresses flipped\n"
        "    why: the prompt says nothing about pods that are not ready\n"
        "  - mutant: no such operator\n"
        "    why: a leftover\n"
        "tags: [",
    )
    path.write_text(text)
    report = validate_pack(root, strict=True)
    result = report.mutation["expose-web"]
    assert [m.operator for m, _ in result.accepted] == ["publishNotReadyAddresses flipped"]
    messages = [p.message for p in report.problems]
    assert any("accept_mutants names 'no such operator'" in m for m in messages)
    assert not any("publishNotReadyAddresses flipped" in m for m in messages)


def test_hand_written_endpoints_get_the_slips_a_learner_makes():
    scenario, _ = load_scenario({"namespaces": [{"name": "shop"}]})
    endpoints = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "legacy", "namespace": "shop"},
        "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"name": "pg", "port": 6543}]}],
    }
    found = {m.operator: m for m in mutants([endpoints], scenario)}
    assert "192.0.2.11" in found["address moved by one"].text
    assert "notReadyAddresses" in found["address not ready"].text
    assert "port: 6544" in found["port +1"].text
    assert "name: pg-x" in found["port name changed"].text
    assert all(validate_text(m.text).valid for m in found.values())
    top = {**endpoints, "subsets": [{"addresses": [{"ip": "255.255.255.254"}]}]}
    [moved] = [m for m in mutants([top], scenario) if m.operator == "address moved by one"]
    assert "255.255.255.253" in moved.text  # the last address has no next one: step back
    slice_ = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "legacy-1",
            "namespace": "shop",
            "labels": {"kubernetes.io/service-name": "legacy"},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["192.0.2.10"]}, {"addresses": ["192.0.2.20"]}],
        "ports": [{"name": "pg", "port": 6543}],
    }
    names = [m.name for m in mutants([slice_], scenario)]
    assert "endpoint dropped (EndpointSlice shop/legacy-1, endpoints[1])" in names
    assert (
        "endpoint address moved by one (EndpointSlice shop/legacy-1, endpoints[0].addresses[0])"
        in names
    )
