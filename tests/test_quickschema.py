"""The quick schema check agrees with jsonschema's verdict on every value it is asked about.

The oracle is `jsonschema.Draft202012Validator.is_valid`. The values are the
manifests of the built-in pack (solutions, wrong answers, starters) and
hypothesis's mutations of them — a field set to a value of another type, an
unknown key added, a key removed — and the pack files against the pack
schemas, mutated the same way.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8slearn.manifests.schema import KNOWN_KINDS, _bundle
from k8slearn.packs.library import load_library
from k8slearn.quickschema import compile_schema, equal


@cache
def kind_schema(kind: str) -> dict:
    bundle = _bundle()
    root = dict(bundle["kinds"][f"{KNOWN_KINDS[kind]} {kind}"])
    root["definitions"] = bundle["definitions"]
    return root


@cache
def checkers(kind: str):
    schema = kind_schema(kind)
    return compile_schema(schema), jsonschema.Draft202012Validator(schema)


@cache
def corpus() -> list[dict]:
    """Every manifest of the built-in pack that is a mapping with a kind k8slearn knows."""
    texts = []
    for ex in load_library().exercises():
        texts += [ex.solution or "", ex.starter or ""]
        texts += [w.answer for w in ex.wrong_answers]
    out = []
    for text in texts:
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue
        out += [d for d in docs if isinstance(d, dict) and d.get("kind") in KNOWN_KINDS]
    return out


def test_every_kind_compiles():
    for kind in KNOWN_KINDS:
        assert checkers(kind)[0] is not None, kind


def test_the_corpus_agrees():
    docs = corpus()
    assert len(docs) > 200
    for doc in docs:
        quick, oracle = checkers(doc["kind"])
        assert quick(doc) == oracle.is_valid(doc), doc


def test_every_field_of_the_corpus_changed_in_each_way_agrees():
    """Each value replaced by one of every JSON type (and integers by 0.5 and 80.0), each
    mapping given an unknown key and each key removed in turn: one change at a time."""
    replacements = [None, True, 0.5, 80.0, 80, "80", [], {}]
    seen = set()
    for doc in corpus():
        quick, oracle = checkers(doc["kind"])
        for path in _paths(doc):
            if not path:
                continue
            for change in [*replacements, "<unknown key>", "<remove>"]:
                copy = json.loads(json.dumps(doc))
                parent = copy
                for part in path[:-1]:
                    parent = parent[part]
                if change == "<remove>":
                    del parent[path[-1]]
                elif change == "<unknown key>":
                    if not isinstance(parent[path[-1]], dict):
                        continue
                    parent[path[-1]]["zzUnknown"] = 1
                else:
                    parent[path[-1]] = change
                # One case per field of a kind (list positions alike) and change is enough.
                shape = tuple("*" if isinstance(part, int) else part for part in path)
                key = (doc["kind"], shape, json.dumps(change))
                if key in seen:
                    continue
                seen.add(key)
                assert quick(copy) == oracle.is_valid(copy), (path, change)
    assert len(seen) > 1000


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-70000, 70000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1.0, 80.0, "", "TCP", "UDP", "ClusterIP", "None", "http", "x" * 70]),
    st.text(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated_manifests(draw) -> tuple[str, dict]:
    doc = json.loads(json.dumps(draw(st.sampled_from(corpus()))))  # a deep copy
    kind = doc["kind"]
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["set", "add", "remove"]))
        if action == "set":
            parent[path[-1]] = draw(VALUES)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "port", "name", "selector", "ports"]))] = draw(
                VALUES
            )
        elif action == "remove":
            del parent[path[-1]]
    return kind, doc


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_manifests())
def test_mutated_manifests_agree(case):
    kind, doc = case  # judged against the schema of the kind it was before the change
    quick, oracle = checkers(kind)
    assert quick(doc) == oracle.is_valid(doc)


def _pack_schemas() -> dict[str, dict]:
    folder = resources.files("k8slearn.packs") / "schemas"
    return {
        f.name: json.loads(f.read_text(encoding="utf-8"))
        for f in folder.iterdir()
        if f.name.endswith(".json")
    }


@pytest.mark.parametrize("name", sorted(_pack_schemas()))
def test_pack_schemas_compile(name):
    assert compile_schema(_pack_schemas()[name]) is not None


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(_pack_schemas())), VALUES, st.data())
def test_pack_schemas_agree_on_random_and_real_files(name, value, data):
    schema = _pack_schemas()[name]
    quick, oracle = compile_schema(schema), jsonschema.Draft202012Validator(schema)
    assert quick(value) == oracle.is_valid(value)
    # Real files of the built-in pack, one field changed.
    root = resources.files("k8slearn") / "lessons" / "services-networking"
    real = {"pack.schema.json": [root / "pack.yaml"]}.get(name)
    if real:
        doc = yaml.safe_load(real[0].read_text(encoding="utf-8"))
        key = data.draw(st.sampled_from(sorted(doc)))
        doc[key] = data.draw(VALUES)
        assert quick(doc) == oracle.is_valid(doc)


def test_exercise_files_agree():
    schemas = _pack_schemas()
    name = next(n for n in schemas if n.startswith("exercise"))
    quick = compile_schema(schemas[name])
    oracle = jsonschema.Draft202012Validator(schemas[name])
    files = list((resources.files("k8slearn") / "lessons").glob("**/exercises/*.yaml"))
    assert files
    for f in files:
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        assert quick(doc) == oracle.is_valid(doc) is True, f
        for key in list(doc):
            changed = {**doc, key: 7}
            assert quick(changed) == oracle.is_valid(changed), (f, key)


@pytest.mark.parametrize(
    ("one", "two", "same"),
    [
        (True, 1, False),
        (1, 1.0, True),
        ("1", 1, False),
        ([1, [True]], [1.0, [True]], True),
        ({"a": 0}, {"a": False}, False),
        (None, None, True),
        ([], {}, False),
    ],
)
def test_equal_is_json_equality(one, two, same):
    assert equal(one, two) is same
    assert jsonschema.Draft202012Validator({"const": two}).is_valid(one) is same
