"""Scenario files: defaults, automatic labels and clear problems."""

from k8slearn.model.scenario import NAME_LABEL, load_scenario


def test_defaults_and_automatic_namespace_label():
    scn, problems = load_scenario(
        "namespaces: [{name: x, labels: {team: a}}]\npods: [{name: a, namespace: x}, {name: b}]\n"
    )
    assert problems == []
    assert scn.namespaces["x"].labels == {"team": "a", NAME_LABEL: "x"}
    assert scn.namespaces["kube-system"].labels[NAME_LABEL] == "kube-system"
    a, b = scn.pods
    assert (a.key, b.key) == ("x/a", "default/b")
    assert a.ready and a.ip != b.ip
    assert len(scn.nodes) == 1


def test_ips_are_deterministic_and_skip_given_ones():
    text = "pods: [{name: a}, {name: b, ip: 10.244.0.2}, {name: c}]\n"
    first, _ = load_scenario(text)
    again, _ = load_scenario(text)
    assert [p.ip for p in first.pods] == [p.ip for p in again.pods]
    assert len({p.ip for p in first.pods}) == 3


def test_problems_are_located():
    scn, problems = load_scenario(
        "namespaces: [{name: x}]\n"
        "pods:\n"
        "  - name: a\n"
        "    namespace: nope\n"
        "    labels: {app: true}\n"
        "    ports: [{containerPort: 70000}]\n"
        "  - {name: Bad_Name}\n"
        "colour: blue\n"
    )
    assert scn is None
    found = {(p.field, p.line) for p in problems}
    assert ("pods[0].namespace", 4) in found
    assert ("pods[0].labels.app", 5) in found
    assert ("pods[0].ports[0].containerPort", 6) in found
    assert ("pods[1].name", 7) in found
    assert ("colour", 8) in found


def test_duplicate_pods_and_ips():
    _, problems = load_scenario("pods: [{name: a, ip: 10.0.0.1}, {name: a, ip: 10.0.0.1}]\n")
    messages = " ".join(p.message for p in problems)
    assert "declared twice" in messages and "used by another pod" in messages


def test_declared_ports():
    scn, _ = load_scenario(
        "pods: [{name: a, ports: [{containerPort: 80}, "
        "{containerPort: 53, protocol: UDP}]}, {name: b, ports: [{containerPort: 80}]}]\n"
    )
    assert scn.declared_ports() == [(53, "UDP"), (80, "TCP")]
