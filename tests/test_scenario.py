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


OBJECTS = """namespaces: [{name: shop}]
pods:
  - {name: web, namespace: shop, labels: {app: web}, ports: [{containerPort: 8080}]}
  - {name: client, namespace: shop, labels: {app: client}}
objects:
  - apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: shop}
    spec:
      selector: {app: web}
      ports: [{port: 80, targetPort: 8080}]
  - apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: web-from-nobody, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: web}}
      policyTypes: [Ingress]
"""


def test_objects_already_in_the_cluster():
    from k8slearn.manifests.validate import validate_text
    from k8slearn.model.world import World

    scenario, problems = load_scenario(OBJECTS)
    assert scenario is not None, problems
    world = World(scenario)
    svc = world.services.get("shop/web")
    assert [b.target.key for b in world.services.endpoints(svc, svc.ports[0])] == ["shop/web"]
    assert not world.table([(8080, "TCP")]).allowed("shop/client", "shop/web", 8080)
    # An answer that applies an object of the same kind, namespace and name replaces it.
    opened = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
        "metadata: {name: web-from-nobody, namespace: shop}\n"
        "spec:\n  podSelector: {matchLabels: {app: web}}\n  ingress: [{}]\n"
    )
    world = World(scenario, validate_text(opened).manifests)
    assert world.table([(8080, "TCP")]).allowed("shop/client", "shop/web", 8080)
    assert [p.key for p in world.policies] == ["shop/web-from-nobody"]


def test_objects_are_validated_and_located():
    text = OBJECTS.replace("ports: [{port: 80, targetPort: 8080}]", "ports: [{port: 0}]")
    text += "  - {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: shop}}\n"
    text += "  - apiVersion: v1\n    kind: Service\n    metadata: {name: x, namespace: nowhere}\n"
    text += "    spec: {selector: {a: b}, ports: [{port: 1}]}\n"
    scenario, problems = load_scenario(text)
    assert scenario is None
    found = {(p.field, p.line) for p in problems}
    lines = text.splitlines()
    assert (
        "objects[0].spec.ports[0].port",
        next(i for i, line in enumerate(lines, 1) if "port: 0" in line),
    ) in found
    assert any(f == "objects[2].kind" for f, _ in found)
    assert any(f == "objects[3].metadata.namespace" for f, _ in found)
