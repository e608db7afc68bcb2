"""Robustness: hostile and random input gets located problems, never a traceback or a hang.

Every entry point a learner's or an instructor's text reaches is attacked here
with fixed hostile inputs and with hypothesis-generated ones: the loader and
validator, the scenario reader, the cluster model (World), the grader of every
built-in exercise, the pack reader and the command line.

The bugs found while writing this file (explicit scalar tags, lone surrogates,
control characters, generateName-only objects, null selector values, huge
replica counts, link loops, NUL bytes, over-long names and FIFOs in packs, NaN
minutes) each keep a test here.
"""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8slearn.cli import main
from k8slearn.grading.grader import Grader
from k8slearn.grading.lints import lint
from k8slearn.manifests.validate import validate_text
from k8slearn.model.scenario import load_scenario
from k8slearn.model.world import World
from k8slearn.packs.format import load_pack
from k8slearn.packs.library import ENV_VAR, load_library
from k8slearn.packs.scaffold import ScaffoldError, new_pack
from k8slearn.packs.validate import validate_pack
from k8slearn.progress.store import ENV_HOME

FAST = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

POSIX = pytest.mark.skipif(
    not hasattr(signal, "setitimer") or sys.platform == "win32",
    reason="needs POSIX signals, FIFOs and symlinks",
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """No pack from the environment, progress in a private folder."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv(ENV_HOME, str(tmp_path / "home"))


class Hang(BaseException):
    """Raised by `deadline` (a BaseException, so no `except OSError/Exception` swallows it)."""


@contextlib.contextmanager
def deadline(seconds: float):
    """Interrupt the block (even a blocking open()/read()) after `seconds`: a hang fails fast."""

    def expire(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def no_hang(fn, seconds: float = 3.0):
    """Call fn(); a hang becomes an AssertionError."""
    try:
        with deadline(seconds):
            return fn()
    except Hang as exc:
        raise AssertionError(f"hang: {exc}") from None


# -- strategies ---------------------------------------------------------------------------------

FIELDS = [
    *("apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations"),
    *("generateName", "spec", "ports", "selector", "podSelector", "ingress", "egress"),
    *("from", "to", "ipBlock", "cidr", "except", "namespaceSelector", "matchLabels"),
    *("matchExpressions", "key", "operator", "values", "port", "targetPort", "nodePort"),
    *("protocol", "endPort", "type", "clusterIP", "clusterIPs", "externalName", "policyTypes"),
    *("replicas", "template", "containers", "initContainers", "containerPort", "hostPort"),
    *("image", "restartPolicy", "externalIPs", "externalTrafficPolicy", "sessionAffinity"),
    *("sessionAffinityConfig", "clientIP", "timeoutSeconds", "ipFamilies", "ipFamilyPolicy"),
    *("loadBalancerSourceRanges", "allocateLoadBalancerNodePorts", "healthCheckNodePort"),
    *("publishNotReadyAddresses", "appProtocol", "internalTrafficPolicy", "strategy"),
]
WEIRD = [
    *("None", "", "80", "http", "TCP", "udp", "In", "Exists", "Ingress", "Egress", "ClusterIP"),
    *("NodePort", "LoadBalancer", "ExternalName", "Local", "ClientIP", "10.0.0.0/8"),
    *("10.0.0.1/8", "::/0", "2001:db8::/32", "fe80::1%eth0", "::ffff:1.2.3.4", "010.0.0.1"),
    *("10.96.0.10", "0.0.0.0/0", "²", "٣", "８０", "a" * 70, "x/y/z", "-a-", "Ä", "\u202e"),
    *("\U0001f600", "a\tb", "web", "default", "kube-system", "v1", "apps/v1", "Service"),
    *("networking.k8s.io/v1", "${x}", "{{x}}", "&a", "*a", "%", "`", "'", '"', "\\", "\n"),
    *("yes", "NO", "~", "null", "1e400", ".nan"),
]
# Lone surrogates are pinned by test_lone_surrogate_is_reported, not fuzzed.
safe_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 80, 65535, 65536, 30000, 32767, 2**31, 2**63, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WEIRD),
    safe_text,
)
keys = st.one_of(st.sampled_from(FIELDS), st.sampled_from(WEIRD), safe_text)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=20,
)

BASES = [
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "x"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "web"},
            "ports": [
                {"name": "http", "port": 80, "targetPort": "http"},
                {"name": "m", "port": 9100, "protocol": "UDP", "nodePort": 30001},
            ],
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "db", "namespace": "x"},
        "spec": {"clusterIP": "None", "selector": {"app": "db"}},
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "ext", "namespace": "x"},
        "spec": {"type": "ExternalName", "externalName": "internet"},
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "p", "namespace": "x"},
        "spec": {
            "podSelector": {
                "matchLabels": {"app": "web"},
                "matchExpressions": [{"key": "t", "operator": "In", "values": ["a"]}],
            },
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        {"podSelector": {}, "namespaceSelector": {"matchLabels": {"team": "a"}}},
                        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}},
                    ],
                    "ports": [{"port": 80}, {"port": "http"}, {"port": 1000, "endPort": 2000}],
                }
            ],
            "egress": [
                {
                    "to": [{"ipBlock": {"cidr": "2001:db8::/32"}}],
                    "ports": [{"port": 53, "protocol": "UDP"}],
                },
                {},
            ],
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "pp", "namespace": "x", "labels": {"app": "web"}},
        "spec": {
            "containers": [
                {"name": "c", "image": "nginx", "ports": [{"containerPort": 80, "name": "http"}]}
            ],
            "initContainers": [
                {
                    "name": "s",
                    "image": "x",
                    "restartPolicy": "Always",
                    "ports": [{"containerPort": 9}],
                }
            ],
        },
    },
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d", "namespace": "x"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {
                    "containers": [
                        {"name": "c", "image": "nginx", "ports": [{"containerPort": 8080}]}
                    ]
                },
            },
        },
    },
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "zz", "labels": {"team": "b"}}},
]

label_maps = st.dictionaries(
    st.sampled_from(["app", "team", "t", "k8s-app", "kubernetes.io/metadata.name"]),
    st.sampled_from(["web", "db", "a", "b", "", "x", "kube-dns"]),
    max_size=3,
)
selectors = st.fixed_dictionaries(
    {},
    optional={
        "matchLabels": st.one_of(st.none(), label_maps),
        "matchExpressions": st.lists(
            st.fixed_dictionaries(
                {
                    "key": st.sampled_from(["app", "team", "t"]),
                    "operator": st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
                },
                optional={"values": st.lists(st.sampled_from(["web", "a", "db"]), max_size=2)},
            ),
            max_size=2,
        ),
    },
)
cidrs = st.sampled_from(
    [
        *("10.0.0.0/8", "0.0.0.0/0", "::/0", "2001:db8::/32", "10.244.0.0/16"),
        *("93.184.216.34/32", "2001:db8::99/128", "2001:db8::/64", "10.244.0.0/24"),
    ]
)
port_numbers = st.one_of(st.integers(1, 65535), st.sampled_from([1, 53, 80, 8080, 9100, 65535]))
PLAUSIBLE = {
    "port": st.one_of(port_numbers, st.sampled_from(["http", "dns", None])),
    "targetPort": st.one_of(port_numbers, st.sampled_from(["http", "metrics", None, 0])),
    "nodePort": st.one_of(st.integers(30000, 32767), st.sampled_from([None, 0])),
    "endPort": st.one_of(port_numbers, st.none()),
    "containerPort": port_numbers,
    "protocol": st.sampled_from(["TCP", "UDP", "SCTP", None]),
    "type": st.sampled_from(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName", None]),
    "clusterIP": st.sampled_from(["None", "", None, "10.96.0.10", "10.96.200.1"]),
    "externalName": st.sampled_from(["internet", "v6host", "db.example.com", None, ""]),
    "selector": st.one_of(st.none(), label_maps, selectors),
    "podSelector": st.one_of(st.none(), selectors),
    "namespaceSelector": st.one_of(st.none(), selectors),
    "matchLabels": st.one_of(st.none(), label_maps),
    "labels": st.one_of(st.none(), label_maps),
    "cidr": cidrs,
    "except": st.one_of(st.none(), st.lists(cidrs, max_size=2)),
    "policyTypes": st.one_of(
        st.none(), st.lists(st.sampled_from(["Ingress", "Egress"]), max_size=2, unique=True)
    ),
    "replicas": st.one_of(st.none(), st.integers(0, 5)),
    "namespace": st.sampled_from(["x", "y", "default", "kube-system", None, ""]),
    "name": st.sampled_from(["web", "db", "a", "b-2", "p"]),
    "externalTrafficPolicy": st.sampled_from(["Local", "Cluster", None]),
    "publishNotReadyAddresses": st.one_of(st.none(), st.booleans()),
    "allocateLoadBalancerNodePorts": st.one_of(st.none(), st.booleans()),
    "ipBlock": st.one_of(
        st.none(),
        st.fixed_dictionaries({"cidr": cidrs}, optional={"except": st.lists(cidrs, max_size=1)}),
    ),
    "restartPolicy": st.sampled_from(["Always", None]),
}


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*path, i))


def _at(node, path):
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated_manifest(draw, plausible: bool):
    """A valid manifest with a few fields replaced, removed, nulled, emptied or duplicated."""
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p and p[0] not in ("apiVersion", "kind")]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _at(doc, path[:-1]), path[-1]
        field = last if isinstance(last, str) else (path[-2] if len(path) > 1 else "")
        action = draw(st.sampled_from(["set", "set", "delete", "null", "empty", "grow"]))
        if action == "set":
            parent[last] = (
                draw(PLAUSIBLE[field]) if plausible and field in PLAUSIBLE else draw(values)
            )
        elif action == "null":
            parent[last] = None
        elif action == "empty":
            current = parent[last]
            parent[last] = (
                {} if isinstance(current, dict) else [] if isinstance(current, list) else ""
            )
        elif action == "delete":
            del parent[last]
        elif isinstance(parent[last], list):
            parent[last].append(copy.deepcopy(parent[last][0]) if parent[last] else draw(values))
        elif isinstance(parent[last], dict):
            key = draw(st.sampled_from(sorted(PLAUSIBLE))) if plausible else draw(keys)
            parent[last][key] = draw(PLAUSIBLE[key]) if plausible else draw(values)
    return doc


@st.composite
def random_manifest(draw):
    """A known apiVersion/kind pair (so validation gets past `identify`) over random fields."""
    kind, api = draw(
        st.sampled_from(
            [
                *(("Service", "v1"), ("NetworkPolicy", "networking.k8s.io/v1"), ("Pod", "v1")),
                *(("Deployment", "apps/v1"), ("Namespace", "v1")),
            ]
        )
    )
    doc = {"apiVersion": api, "kind": kind}
    doc["metadata"] = draw(
        st.one_of(
            values,
            st.fixed_dictionaries(
                {"name": st.sampled_from(["a", "b", "A", ""])},
                optional={"namespace": st.sampled_from(["x", "default", ""]), "labels": values},
            ),
        )
    )
    doc["spec"] = draw(values)
    doc.update(draw(st.dictionaries(keys, values, max_size=2)))
    return doc


manifests = st.one_of(
    mutated_manifest(plausible=True), mutated_manifest(plausible=False), random_manifest()
)


def dump(docs) -> str:
    return yaml.safe_dump_all(docs, allow_unicode=True, sort_keys=False)


SCENARIO = """
namespaces: [{name: x, labels: {team: a}}, {name: y}]
pods:
  - {name: web, namespace: x, labels: {app: web}, ports: [{containerPort: 80, name: http}, {containerPort: 9100, protocol: UDP}]}
  - {name: db, namespace: x, labels: {app: db, t: a}, ready: false}
  - {name: v6, namespace: y, labels: {app: web}, ip: "2001:db8::5"}
  - {name: dns, namespace: kube-system, labels: {k8s-app: kube-dns}, ports: [{containerPort: 53, protocol: UDP}]}
externals: [{name: internet, ip: 93.184.216.34}, {name: v6host, ip: "2001:db8::99"}]
"""


def scenario():
    scn, problems = load_scenario(SCENARIO)
    assert scn is not None, problems
    return scn


def check_report(report) -> None:
    """Every problem is located and printable on the CLI's terms."""
    for p in report.all_problems():
        assert p.message.strip(), p
        assert p.line is not None and p.line >= 1, p
        p.located()


def exercise_world(text: str) -> None:
    """Everything the faces ask of the model, over whatever `text` validates to."""
    report = validate_text(text)
    check_report(report)
    world = World(scenario(), report.manifests)
    table = world.table([(80, "TCP"), (9100, "UDP"), (1500, "SCTP")])
    table.to_results()
    table.to_matrix()
    world.table()
    endpoints = world.model.endpoints
    for src in endpoints[:3]:
        for dst in endpoints:
            explanation = world.explain(src.key, dst.key, 80)
            explanation.lines()
            explanation.to_dict()
    for key, svc in world.services.services.items():
        world.services.describe(svc)
        world.services.dns(svc)
        for src in endpoints:
            for port, protocol in [(p.port, p.protocol) for p in svc.ports] or [(80, "TCP")]:
                reach = world.reach_service(src.key, key, port, protocol)
                reach.answered()
    lint(report.manifests, world)
    lint(report.manifests)


# -- loader and validate_text -------------------------------------------------------------------

HOSTILE_TEXTS = [
    "",
    "\n\n",
    "# only a comment",
    "---\n---\n",
    "...\n",
    "null",
    "~",
    "- a\n- b",
    "42",
    "'just a string'",
    "{",
    "[[[[",
    "[" * 5000,
    "a: &a [*a]",
    "a: *nothing",
    "a: &x 1\na: &x 2",
    "a: 1\na: 2",
    "a: &a {x: 1}\nb: {<<: *a, y: 2}",
    "a: &a 1\nb: {<<: *a}",
    "{<<: [1]}",
    "? [a]\n: 1",
    "? {a: 1}\n: 1",
    "a: !!binary aGVsbG8=",
    "a: !!set {x}",
    "a: !!omap [x: 1]",
    "a: !!python/object:os.system x",
    "a: !custom x",
    "a: !!timestamp 2001-12-14",
    "a: 2001-12-14t21:59:43.10-05:00",
    "a: !!str 1",
    "a: !!null x",
    "a: !!map x",
    "a: !!seq x",
    "%YAML 1.1\n---\na: 1",
    "%YAML 9.9\n---\na: 1",
    "%TAG ! tag:example.com,2000:\n---\na: !x 1",
    "\ta: 1",
    "a:\n\t- 1",
    '{"a":\t1}',
    "a: \x07",
    "a: \x85",
    "a: \u2028b",
    "\ufeffapiVersion: v1",
    "a: 'unterminated",
    'a: "\\xZZ"',
    'a: "\\0"',
    "{.nan: 1, .inf: 2, 0x10: 3, 1_000: 4, 1:20: 5, true: 6, null: 7}",
    "kind: Service\napiVersion: v1\nmetadata: {name: a}\nspec: {ports: [{port: 1e400}]}",
    "a: " + "x" * 100_000,
    "k: 1\n" * 3,
    "apiVersion: v1\nkind: Service\n" * 2,
    "apiVersion: [v1]\nkind: {Service: 1}",
    "apiVersion: v1\nkind: service",
    "apiVersion: v2\nkind: Service",
    "apiVersion: v1\nkind: Service\nmetadata: []\nspec: 5",
    "apiVersion: v1\nkind: Service\nmetadata: {name: [a]}\nspec: {ports: {port: 80}}",
    "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [null, [], 5, {port: '80'}]}",
]


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_text_never_raises(text):
    for raw in (text, text.encode("utf-8")):
        check_report(validate_text(raw))
        scn, problems = load_scenario(raw)
        assert scn is not None or problems


@pytest.mark.parametrize(
    "raw",
    [
        *(b"\x00", b"\xff\xfe\x00a", b"\xc3\x28", b"a: \xe9", b"\xef\xbb\xbf", b"\x00" * 10),
        *(bytes(range(256)), b"a" * (1024 * 1024 + 1)),
    ],
)
def test_hostile_bytes_get_one_located_error(raw):
    report = validate_text(raw)
    errors = [p for p in report.all_problems() if p.is_error]
    assert errors and all(p.line for p in errors)


TOKENS = [
    *("a", ":", " ", "\n", "- ", "[", "]", "{", "}", ",", "&x", "*x", "<<", "!!str", "!!null"),
    *("!!map", "!!seq", "!!timestamp", "!x", "%YAML 1.1\n", "---\n", "...\n", "? ", "|", ">"),
    *("'", '"', "#", "\t", "1", "0x1F", "1e5", ".inf", "2001-01-01", "\\", "\\0", "\x85"),
    *("\u2028", "\ufeff", "key", "apiVersion: v1\n", "kind: Service\n", "port: "),
]  # !!int/!!float/!!bool: pinned by test_explicit_scalar_tags_are_reported


@FAST
@given(
    st.one_of(
        st.lists(st.sampled_from(TOKENS), max_size=30).map("".join),
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60),
        st.binary(max_size=60),
    )
)
def test_random_text_never_raises(text):
    check_report(validate_text(text))
    scn, problems = load_scenario(text)
    assert scn is not None or problems


@FAST
@given(st.lists(manifests, min_size=1, max_size=3))
def test_random_manifests_validate_and_reach_the_model(docs):
    exercise_world(dump(docs))


@pytest.mark.parametrize(
    "text", ["a: !!int x", "a: !!float x", "a: !!bool x", "!!int", "!!bool", "{!!int x: 1}"]
)
def test_explicit_scalar_tags_are_reported(text):
    report = validate_text(text)
    assert any(p.is_error and p.line == 1 for p in report.all_problems())


def test_lone_surrogate_is_reported():
    report = validate_text("kind: Service\nname: \ud800\n")
    assert any(p.is_error for p in report.all_problems())


def test_control_character_is_located():
    report = validate_text("apiVersion: v1\nkind: Service\nmetadata: {name: \x07}\n")
    (problem,) = [p for p in report.all_problems() if p.is_error]
    assert problem.line == 3
    assert "\n" not in problem.text()


# -- scenarios ----------------------------------------------------------------------------------

scenario_items = {
    "namespaces": st.lists(
        st.dictionaries(st.sampled_from(["name", "labels", "x"]), values, max_size=3), max_size=3
    ),
    "pods": st.lists(
        st.dictionaries(
            st.sampled_from(["name", "namespace", "labels", "ip", "ready", "ports", "x"]),
            values,
            max_size=5,
        ),
        max_size=3,
    ),
    "nodes": st.lists(
        st.dictionaries(st.sampled_from(["name", "ip"]), values, max_size=2), max_size=2
    ),
    "externals": st.lists(
        st.dictionaries(st.sampled_from(["name", "ip"]), values, max_size=2), max_size=2
    ),
}
scenarios = st.one_of(
    st.fixed_dictionaries(
        {}, optional={k: st.one_of(v, values) for k, v in scenario_items.items()}
    ),
    st.dictionaries(keys, values, max_size=4),
)


@FAST
@given(scenarios)
def test_random_scenarios_never_raise(data):
    for source in (yaml.safe_dump(data, allow_unicode=True), data):
        scn, problems = load_scenario(source)
        assert (scn is None) == bool(problems)
        if scn is not None:
            World(scn).table()


@pytest.mark.parametrize(
    "text",
    [
        "- a",
        "pods: {a: 1}",
        "pods: [1, null, [], {}]",
        "pods: [{name: a, namespace: nope}]",
        "pods: [{name: a, namespace: null}]",
        "pods: [{name: a, ip: 10.244.0.5}, {name: b, ip: 10.244.0.5}]",
        "pods: [{name: a, ip: 167772161}]",
        "pods: [{name: a, ip: 'fe80::1%eth0'}]",
        "pods: [{name: a, ready: maybe}]",
        "pods: [{name: a, ports: [{containerPort: 0}, {containerPort: 70000}, {containerPort: true}]}]",
        "pods: [{name: a, ports: [{containerPort: 1, protocol: [x], name: [y]}]}]",
        "pods: [{name: a, labels: {'a/b/c': x, k: [1], j: 'b a'}}]",
        "namespaces: [{name: default}, {name: default, labels: {a: b}}, {name: Bad}]",
        "nodes: [{name: n, ip: not-an-ip}]",
        "externals: [{name: a/b, ip: 1.2.3.4}]",
        "a: 1\n---\nb: 2",
    ],
)
def test_hostile_scenarios(text):
    scn, problems = load_scenario(text)
    for p in problems:
        assert p.line and p.message
    if scn is not None:
        World(scn).table()


@pytest.mark.parametrize("namespace", ["[x]", "{x: 1}"])
def test_scenario_pod_namespace_that_is_not_a_string(namespace):
    scn, problems = load_scenario(f"pods: [{{name: a, namespace: {namespace}}}]")
    assert scn is None and problems[0].field == "pods[0].namespace"


def test_scenario_dict_with_non_string_label_key():
    scn, problems = load_scenario({"namespaces": [{"name": "x", "labels": {1: "a"}}]})
    assert scn is None and problems


# -- the model (World) with valid manifests of odd shapes ---------------------------------------

SVC = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: x}\n"
NP = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\n"
DEPLOY = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: x}\nspec:\n"
    "  selector: {matchLabels: {app: d}}\n"
    "  template: {metadata: {labels: {app: d}}, spec: {containers: [{name: c, image: nginx}]}}\n"
)
ODD_VALID = {
    "service nulls": SVC
    + "spec: {selector: null, type: null, clusterIP: null, sessionAffinity: null, externalIPs: null,"
    " ports: [{port: 80, protocol: null, name: null, nodePort: null}]}",
    "headless, no ports": SVC + "spec: {clusterIP: None, selector: {app: web}}",
    "headless, empty ports": SVC + "spec: {clusterIP: None, selector: {app: web}, ports: []}",
    "headless, not ready published": SVC
    + "spec: {clusterIP: None, publishNotReadyAddresses: true, selector: {app: db}}",
    "no selector": SVC + "spec: {ports: [{port: 80}]}",
    "empty selector": SVC + "spec: {selector: {}, ports: [{port: 80}]}",
    "externalname to a host": SVC + "spec: {type: ExternalName, externalName: internet}",
    "externalname elsewhere": SVC
    + "spec: {type: ExternalName, externalName: db.example.com., ports: [{port: 65535}]}",
    "loadbalancer local": SVC
    + "spec: {type: LoadBalancer, externalTrafficPolicy: Local, selector: {app: web},"
    " allocateLoadBalancerNodePorts: false, ports: [{port: 65535, targetPort: http,"
    " nodePort: 32767, protocol: UDP}]}",
    "nodeport extremes": SVC
    + "spec: {type: NodePort, selector: {app: web}, ports: [{name: a, port: 1, nodePort: 30000},"
    " {name: b, port: 65535, targetPort: 65535, protocol: SCTP}]}",
    "named targetPort nobody has": SVC
    + "spec: {selector: {app: web}, ports: [{port: 80, targetPort: nothing}]}",
    "dual stack": SVC + "spec: {clusterIP: 10.96.0.10, clusterIPs: [10.96.0.10, 'fd00::10'],"
    " ipFamilyPolicy: PreferDualStack, selector: {app: web}, ports: [{port: 80}]}",
    "policy nulls": NP
    + "spec: {podSelector: null, policyTypes: null, ingress: null, egress: null}",
    "policy empty lists": NP
    + "spec: {podSelector: {}, policyTypes: [Ingress, Egress], ingress: [{}, {from: [], ports: []},"
    " null], egress: [null, {to: null, ports: null}]}",
    "policy ipv6 and ranges": NP
    + "spec:\n  podSelector: {matchLabels: null, matchExpressions: null}\n"
    "  policyTypes: [Egress, Ingress]\n"
    "  ingress: [{from: [{ipBlock: {cidr: '2001:db8::/32', except: ['2001:db8::/64']}},"
    " {ipBlock: {cidr: 0.0.0.0/0, except: null}}], ports: [{port: 1, endPort: 65535,"
    " protocol: SCTP}, {port: http}, {protocol: UDP}]}]\n"
    "  egress: [{to: [{ipBlock: {cidr: '::/0'}}, {namespaceSelector: {}, podSelector: null},"
    " {namespaceSelector: {matchExpressions: [{key: team, operator: NotIn, values: [a]},"
    " {key: x, operator: DoesNotExist}]}}], ports: [{port: 53, protocol: UDP}]}]",
    "policy named egress port": NP + "spec: {podSelector: {}, egress: [{ports: [{port: http}]}]}",
    "deployment with 0 replicas": DEPLOY.replace("spec:\n", "spec:\n  replicas: 0\n", 1),
    "deployment null replicas, new namespace": DEPLOY.replace(
        "namespace: x", "namespace: newns"
    ).replace("spec:\n", "spec:\n  replicas: null\n", 1),
    "pod with many containers": "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x,"
    " labels: {app: web}}\nspec:\n  containers:\n"
    + "".join(
        f"  - {{name: c{i}, image: nginx, ports: [{{containerPort: {i + 1}, name: p{i}}}]}}\n"
        for i in range(150)
    ),
    "pod with sidecar ports": "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\n"
    "spec: {containers: [{name: c, image: x, ports: null}], initContainers: [{name: i, image: x,"
    " restartPolicy: Always, ports: [{containerPort: 9}]}, {name: j, image: x}]}",
    "namespace then pod in it": "apiVersion: v1\nkind: Namespace\nmetadata: {name: zz, labels:"
    " {team: a}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: zz}\n"
    "spec: {containers: [{name: c, image: nginx}]}",
    "null label values": "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x, labels:"
    " {app: null}}\nspec: {containers: [{name: c, image: nginx}]}\n---\n"
    + NP
    + "spec: {podSelector: {matchLabels: {app: null}, matchExpressions: [{key: app, operator: In,"
    " values: [null]}]}}",
}


@pytest.mark.parametrize("text", list(ODD_VALID.values()), ids=list(ODD_VALID))
def test_odd_valid_manifests_through_the_model(text):
    report = validate_text(text)
    assert report.valid, [p.text() for p in report.all_problems()]
    exercise_world(text)


def test_world_rejects_unknown_endpoints_with_key_error():
    world = World(scenario(), validate_text(ODD_VALID["no selector"]).manifests)
    for call in (
        lambda: world.explain("x/nope", "x/web", 80),
        lambda: world.reach_service("x/web", "x/nope", 80),
        lambda: world.reach_service("nope", "x/s", 80),
    ):
        with pytest.raises(KeyError):
            call()


@pytest.mark.parametrize(
    "text",
    [
        SVC.replace("name: s", "generateName: s-") + "spec: {ports: [{port: 80}]}",
        NP.replace("name: p", "generateName: p-") + "spec: {}",
        "apiVersion: v1\nkind: Pod\nmetadata: {generateName: p-}\n"
        "spec: {containers: [{name: c, image: nginx}]}",
        DEPLOY.replace("name: d", "generateName: d-"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {generateName: ns-}",
    ],
    ids=["Service", "NetworkPolicy", "Pod", "Deployment", "Namespace"],
)
def test_generate_name_objects_reach_the_model(text):
    assert validate_text(text).valid
    exercise_world(text)


def test_service_selector_with_null_value():
    text = SVC + "spec: {selector: {app: null}, ports: [{port: 80}]}"
    assert validate_text(text).valid
    exercise_world(text)


@POSIX
def test_deployment_with_many_replicas_does_not_hang():
    text = DEPLOY.replace("spec:\n", "spec:\n  replicas: 100000\n", 1)

    def build():
        report = validate_text(text)
        if report.valid:
            World(scenario(), report.manifests).table()

    no_hang(build, seconds=3)


# -- grading built-in exercises ------------------------------------------------------------------

_GRADERS: list[Grader] = []


def graders() -> list[Grader]:
    if not _GRADERS:
        library = load_library()
        _GRADERS.extend(Grader(ex) for ex in library.exercises() if ex.kind == "build")
    assert _GRADERS
    return _GRADERS


def assert_graded(grader: Grader, text) -> None:
    grade = grader.grade(text)
    grade.to_dict()
    for check in grade.checks:
        assert check.message
    if not grade.passed:
        assert grade.failed_checks() or grade.problems


@pytest.mark.parametrize("text", [*HOSTILE_TEXTS[:20], b"\xff", b"\x00", "kind: Service"])
def test_hostile_answers_are_graded(text):
    for grader in graders()[::5]:
        assert_graded(grader, text)


NAMESPACES = ["default", "shop", "data", "payments", "monitoring", "dev", "x"]


@FAST
@given(
    st.integers(0, 1000),
    st.lists(manifests, min_size=1, max_size=3),
    st.sampled_from(NAMESPACES),
    st.booleans(),
)
def test_random_answers_are_graded(which, docs, namespace, with_solution):
    grader = graders()[which % len(graders())]
    for doc in docs:
        meta = doc.get("metadata")
        if isinstance(meta, dict) and meta.get("namespace") in ("x", "y"):
            meta["namespace"] = namespace  # so answers reach the model, not the namespace check
    text = dump(docs)
    if with_solution:
        text = grader.exercise.solution + "\n---\n" + text
    assert_graded(grader, text)


def test_grading_generate_name_answer():
    text = (
        "apiVersion: v1\nkind: Service\nmetadata: {generateName: web-}\nspec: {ports: [{port: 80}]}"
    )
    assert_graded(graders()[0], text)


# -- packs ---------------------------------------------------------------------------------------

PACK = "id: p\ntitle: P\nversion: '1'\nlessons: [l1]\n"
LESSON = "---\nid: l1\ntitle: L\n---\nbody\n"


def exercise_yaml(scenario_value: str) -> str:
    return (
        "id: e1\ntitle: E\nprompt: P\n"
        f"scenario: {scenario_value}\n"
        "expect: [{reachability: solution}]\n"
        "solution: 'apiVersion: v1\n\n  kind: Namespace\n\n  metadata: {name: q}'\n"
    )


def make_pack(root: Path, files: dict[str, str | bytes | None], links=()) -> Path:
    root.mkdir()
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for name, target in links:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / name)
    return root


def assert_pack_problems(root: Path, *, expect_problem: bool = True) -> None:
    _pack, problems = no_hang(lambda: load_pack(root))
    report = no_hang(lambda: validate_pack(root))
    report.summary()
    for p in [*problems, *report.problems]:
        assert p.file, p
        p.located()
    if expect_problem:
        assert any(p.is_error for p in report.problems)


OK_LESSON = {"pack.yaml": PACK, "l1/lesson.md": LESSON}
HOSTILE_PACKS = {
    "pack.yaml is a folder": {"pack.yaml": None},
    "pack.yaml random bytes": {"pack.yaml": bytes(range(1, 256)) * 3},
    "pack.yaml not UTF-8": {"pack.yaml": b"id: \xe9\n"},
    "pack.yaml a list": {"pack.yaml": "- 1\n"},
    "pack.yaml empty": {"pack.yaml": ""},
    "pack.yaml two documents": {"pack.yaml": PACK + "---\n" + PACK},
    "pack.yaml huge": {"pack.yaml": "a" * (1024 * 1024 + 10)},
    "pack.yaml wrong types": {"pack.yaml": "id: P Q\ntitle: []\nversion: 1\nlessons: {}\n"},
    "lesson absolute": {"pack.yaml": PACK.replace("[l1]", "['/etc']")},
    "lesson dotdot": {"pack.yaml": PACK.replace("[l1]", "['..', '../..']")},
    "lesson missing": {"pack.yaml": PACK},
    "lesson is a file": {"pack.yaml": PACK, "l1": "x"},
    "lesson listed twice": {
        "pack.yaml": PACK.replace("[l1]", "[l1, l1/, ./l1]"),
        "l1/lesson.md": LESSON,
    },
    "lesson.md missing": {"pack.yaml": PACK, "l1/x": "x"},
    "lesson.md is a folder": {"pack.yaml": PACK, "l1/lesson.md": None},
    "lesson.md not UTF-8": {"pack.yaml": PACK, "l1/lesson.md": b"---\nid: l1\ntitle: \xe9\n---\n"},
    "front matter a list": {"pack.yaml": PACK, "l1/lesson.md": "---\n- a\n---\nbody"},
    "front matter unclosed": {"pack.yaml": PACK, "l1/lesson.md": "---\nid: l1\ntitle: L\n"},
    "front matter bad YAML": {"pack.yaml": PACK, "l1/lesson.md": "---\n{[\n---\n"},
    "exercise a list": {**OK_LESSON, "l1/exercises/a.yaml": "- 1\n"},
    "exercise a folder": {**OK_LESSON, "l1/exercises/a.yaml": None},
    "exercise random bytes": {**OK_LESSON, "l1/exercises/a.yml": bytes(range(1, 256))},
    "exercise two documents": {**OK_LESSON, "l1/exercises/a.yaml": "a: 1\n---\nb: 2\n"},
    "exercise wrong types": {
        **OK_LESSON,
        "l1/exercises/a.yaml": "id: [1]\nscenario: 5\nexpect: {}\n",
    },
    "exercises is a file": {**OK_LESSON, "l1/exercises": "x"},
    "scenario absolute": {**OK_LESSON, "l1/exercises/a.yaml": exercise_yaml("/etc/hosts")},
    "scenario dotdot": {**OK_LESSON, "l1/exercises/a.yaml": exercise_yaml("../../../etc/hosts")},
    "scenario is the pack.yaml": {
        **OK_LESSON,
        "l1/exercises/a.yaml": exercise_yaml("../../pack.yaml"),
    },
    "scenario is a folder": {**OK_LESSON, "l1/exercises/a.yaml": exercise_yaml("'.'")},
    "scenario missing": {**OK_LESSON, "l1/exercises/a.yaml": exercise_yaml("nope.yaml")},
    "scenario a list": {
        **OK_LESSON,
        "l1/exercises/a.yaml": exercise_yaml("../s.yaml"),
        "l1/s.yaml": "- 1",
    },
    "scenario invalid": {
        **OK_LESSON,
        "l1/exercises/a.yaml": exercise_yaml("{pods: [{name: A, ip: x, ports: 5}]}"),
    },
    "scenario inline list": {**OK_LESSON, "l1/exercises/a.yaml": exercise_yaml("[1, 2]")},
    "predict cells unknown": {
        **OK_LESSON,
        "l1/exercises/a.yaml": exercise_yaml("{pods: [{name: a}]}").replace(
            "expect:",
            "kind: predict\n"
            "manifests: 'apiVersion: v1\n\n  kind: Namespace\n\n  metadata: {name: q}'\n"
            "predict: {port: 80, from: [nope/nope], to: [default/a]}\nexpect:",
        ),
    },
}


SILENTLY_ACCEPTED = {"exercises is a file"}  # a lesson without exercises: nothing to report


@pytest.mark.parametrize("name", list(HOSTILE_PACKS))
def test_hostile_pack_folders(tmp_path, name):
    root = make_pack(tmp_path / "p", HOSTILE_PACKS[name])
    assert_pack_problems(root, expect_problem=name not in SILENTLY_ACCEPTED)


@POSIX
@pytest.mark.parametrize(
    "files, links",
    [
        ({"pack.yaml": PACK}, [("l1", "l1")]),
        ({"pack.yaml": PACK}, [("l1", "l2"), ("l2", "l1")]),
        ({"pack.yaml": PACK, "l1/x": "x"}, [("l1/lesson.md", "lesson.md")]),
        ({**OK_LESSON, "l1/exercises/x": "x"}, [("l1/exercises/a.yaml", "a.yaml")]),
        (
            {**OK_LESSON, "l1/exercises/a.yaml": exercise_yaml("s.yaml")},
            [("l1/exercises/s.yaml", "s.yaml")],
        ),
        ({}, [("pack.yaml", "pack.yaml")]),
    ],
    ids=["lesson", "lesson-pair", "lesson.md", "exercise", "scenario", "pack.yaml"],
)
def test_pack_with_symlink_loop(tmp_path, files, links):
    assert_pack_problems(make_pack(tmp_path / "p", files, links))


@pytest.mark.parametrize(
    "files",
    [
        {"pack.yaml": PACK.replace("[l1]", '["a\\0b"]')},
        {**OK_LESSON, "l1/exercises/a.yaml": exercise_yaml('"a\\0b"')},
    ],
    ids=["lesson", "scenario"],
)
def test_pack_path_with_nul(tmp_path, files):
    assert_pack_problems(make_pack(tmp_path / "p", files))


@pytest.mark.parametrize(
    "files",
    [
        {"pack.yaml": PACK.replace("[l1]", f"[{'a' * 300}]")},
        {**OK_LESSON, "l1/exercises/a.yaml": exercise_yaml("b" * 300)},
    ],
    ids=["lesson", "scenario"],
)
def test_pack_path_too_long(tmp_path, files):
    assert_pack_problems(make_pack(tmp_path / "p", files))


@POSIX
def test_pack_with_fifo_exercise_does_not_hang(tmp_path):
    root = make_pack(tmp_path / "p", {**OK_LESSON, "l1/exercises/x": "x"})
    os.mkfifo(root / "l1" / "exercises" / "a.yaml")
    no_hang(lambda: load_pack(root), seconds=1)


@POSIX
def test_library_with_symlink_loop(tmp_path):
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    library = load_library([tmp_path / "loop"])
    assert library.problems


@pytest.mark.parametrize("name", ["a-file", "a-file/sub"])
def test_pack_new_where_it_cannot_write(tmp_path, name):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ScaffoldError):
        new_pack(tmp_path / name)


@POSIX
def test_pack_new_on_symlink_loop(tmp_path):
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    with pytest.raises(ScaffoldError):
        new_pack(tmp_path / "loop")


# -- the command line ----------------------------------------------------------------------------


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def assert_clean(result) -> None:
    crash = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crash, f"{type(result.exception).__name__}: {result.exception}\n{result.output}"
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output


GOOD_SCENARIO = (
    "namespaces: [{name: x}]\npods: [{name: a, namespace: x, labels: {app: a}, ports:"
    " [{containerPort: 80}]}, {name: b, namespace: x}]\nexternals: [{name: net, ip: 1.2.3.4}]\n"
)
SERVICES = (
    "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: x}\n"
    "spec: {clusterIP: None, selector: {app: a}}\n---\n"
    "apiVersion: v1\nkind: Service\nmetadata: {name: e, namespace: x}\n"
    "spec: {type: ExternalName, externalName: net}\n---\n"
    "apiVersion: v1\nkind: Service\nmetadata: {name: n, namespace: x}\n"
    "spec: {type: NodePort, selector: {app: a}, ports: [{port: 80}]}\n"
)


@pytest.fixture
def files(tmp_path):
    def write(name, content):
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def app_not_started(monkeypatch):
    calls = []
    monkeypatch.setattr("k8slearn.tui.app.run_app", lambda *a, **k: calls.append((a, k)))
    return calls


def cli_cases(files, tmp_path):
    scn = files("scn.yaml", GOOD_SCENARIO)
    svc = files("svc.yaml", SERVICES)
    junk = files("junk.yaml", b"\x00\x01binary")
    latin = files("latin.yaml", b"a: \xe9\n")
    listed = files("list.yaml", "- a\n- b\n")
    empty = files("empty.yaml", "")
    invalid = files(
        "invalid.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: A}\nspec: {}\n"
    )
    answer = "services-networking/clusterip-expose-web"
    predict = "services-networking/predict-and-or-peers"
    folder = tmp_path / "folder"
    folder.mkdir()
    return [
        ("validate", junk),
        ("validate", latin),
        ("validate", listed),
        ("validate", empty),
        ("validate", invalid),
        ("validate", "-o", "json", invalid, listed),
        ("validate", "--scenario", listed, svc),
        ("validate", "--scenario", scn, svc, invalid),
        ("validate", folder),
        ("validate", tmp_path / "missing.yaml"),
        ("reach", "--scenario", scn),
        ("reach", "--scenario", listed),
        ("reach", "--scenario", junk),
        ("reach", "--scenario", scn, "-f", invalid),
        ("reach", "--scenario", scn, "-f", listed),
        ("reach", "--scenario", scn, "--port", "0"),
        ("reach", "--scenario", scn, "--port", "²"),
        ("reach", "--scenario", scn, "--port", "80/xyz"),
        ("reach", "--scenario", scn, "--port", "99999999999999999999"),
        ("reach", "--scenario", scn, "--port", ""),
        ("reach", "--scenario", scn, "--explain", "x/nope", "x/a", "80"),
        ("reach", "--scenario", scn, "--explain", "x/a", "net", "-1"),
        ("reach", "--scenario", scn, "--explain", "net", "x/a", "80/udp", "-o", "json"),
        ("reach", "--scenario", scn, "-f", svc, "--to-service", "x/nope"),
        ("reach", "--scenario", scn, "-f", svc, "--to-service", "x/s"),
        ("reach", "--scenario", scn, "-f", svc, "--to-service", "x/e", "-o", "json"),
        ("reach", "--scenario", scn, "-f", svc, "--to-service", "x/n", "--port", "1/SCTP"),
        ("reach", "--scenario", scn, "-f", svc, "-o", "matrix", "--port", "65535"),
        ("list",),
        ("list", "-o", "json", "--pack", folder),
        ("list", "--pack", tmp_path / "missing"),
        ("check", "nope", svc),
        ("check", answer, junk),
        ("check", answer, latin),
        ("check", answer, listed),
        ("check", answer, invalid),
        ("check", answer, tmp_path / "missing.yaml"),
        ("check", "-o", "json", answer, svc),
        ("check", predict, svc),
        ("pack", "validate", folder),
        ("pack", "validate", tmp_path / "missing"),
        ("pack", "new", scn),
        ("pack", "new", tmp_path / "scn.yaml" / "sub"),
        ("progress",),
        ("progress", "-o", "json"),
        ("drill", "--tags", "x"),
        ("drill", "--tags", "netpol", "--count", "0"),
        ("drill", "--report", tmp_path / "missing" / "r.xml"),
        ("drill", "--minutes", "0"),
        ("drill", "--minutes", "inf"),
        ("open", "nope"),
        ("open", answer, "--answer", latin),
        ("open", answer, "--answer", tmp_path / "missing.yaml"),
        ("verify", "--plan", predict, svc),
        ("verify", "--plan", answer, invalid),
        ("verify", "--plan", "-o", "json", answer, listed),
        ("verify", "--plan", answer, latin),
        ("verify", "--plan", "nope", svc),
    ]


def test_cli_with_hostile_input(files, tmp_path, app_not_started):
    failures = []
    for args in cli_cases(files, tmp_path):
        result = invoke(*args)
        try:
            assert_clean(result)
        except AssertionError as exc:
            failures.append(f"{args}: {exc}")
    assert not failures, "\n".join(failures)
    assert not app_not_started  # every drill/open above is refused before the app starts


def test_cli_drill_and_open_start_the_app_only_when_valid(app_not_started):
    assert_clean(invoke("drill", "--tags", "netpol"))
    assert_clean(invoke("open", "services-networking/clusterip-expose-web"))
    assert len(app_not_started) == 2


def test_cli_drill_refuses_nan_minutes(app_not_started):
    result = invoke("drill", "--minutes", "nan")
    assert_clean(result)
    assert result.exit_code == 2 and not app_not_started


@pytest.mark.parametrize("output", ["text", "json"])
@pytest.mark.parametrize("command", ["status", "doctor"])
def test_cluster_commands_without_tools(command, output, tmp_path):
    result = invoke("cluster", command, "-o", output, env={"PATH": str(tmp_path), "KUBECONFIG": ""})
    assert_clean(result)
    assert result.exit_code == 1


@pytest.mark.skipif(sys.platform == "win32", reason="shell scripts as fake tools")
@pytest.mark.parametrize("reply", ['garbage \xff {"', 'v999.1.2 {"serverVersion": 5}'])
def test_cluster_commands_with_broken_tools(tmp_path, reply):
    for tool in ("docker", "kind", "kubectl"):
        script = tmp_path / tool
        script.write_text(f"#!/bin/sh\necho '{reply}'\nexit 3\n", encoding="utf-8")
        script.chmod(0o755)
    env = {"PATH": str(tmp_path), "KUBECONFIG": str(tmp_path / "none"), "HOME": str(tmp_path)}
    for command in ("status", "doctor"):
        assert_clean(invoke("cluster", command, env=env))


CLI_BUGS = {
    "validate, explicit tag": (("validate", "bad-tag.yaml"), "a: !!int x\n"),
    "validate, generateName policy": (
        ("validate", "gen.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {generateName: p-}\nspec: {}\n",
    ),
    "reach, namespace list": (
        ("reach", "--scenario", "ns.yaml"),
        "pods: [{name: a, namespace: [x]}]\n",
    ),
    "check, null selector": (
        ("check", "services-networking/clusterip-expose-web", "sel.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: null}, ports: [{port: 80}]}\n",
    ),
    "verify --plan, generateName": (
        ("verify", "--plan", "services-networking/clusterip-expose-web", "gen.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {generateName: web-}\nspec: {ports: [{port: 80}]}\n",
    ),
}


@pytest.mark.parametrize("args, content", list(CLI_BUGS.values()), ids=list(CLI_BUGS))
def test_cli_bugs(files, args, content):
    path = files(args[-1], content)
    assert_clean(invoke(*args[:-1], path))


@POSIX
@pytest.mark.parametrize("args", [("list", "--pack"), ("pack", "new")])
def test_cli_symlink_loop(tmp_path, args):
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    assert_clean(invoke(*args, tmp_path / "loop"))
