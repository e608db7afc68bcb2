"""The loader turns every kind of bad input into one clear, located problem."""

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from k8slearn.manifests.loader import MAX_BYTES, load_manifests


def only_problem(text):
    result = load_manifests(text)
    errors = [p for p in result.problems if p.is_error]
    assert len(errors) == 1, result.problems
    return errors[0]


def test_positions_point_at_keys_and_items():
    doc = load_manifests(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n"
        "  - port: 80\n    name: http\n"
    ).documents[0]
    assert doc.line_of(("metadata", "name")) == 4
    assert doc.line_of(("spec", "ports", 0, "name")) == 8
    # a path that was never written falls back to its nearest ancestor
    assert doc.line_of(("spec", "ports", 0, "targetPort")) == 7


def test_multi_document_keeps_index_and_start_line():
    result = load_manifests("a: 1\n---\nb: 2\n---\nc: 3\n")
    assert [d.data for d in result.documents] == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert [d.index for d in result.documents] == [0, 1, 2]
    assert [d.line for d in result.documents] == [1, 3, 5]


def test_duplicate_keys_are_rejected_with_both_lines():
    p = only_problem("metadata:\n  name: a\n  labels: {}\n  name: b\n")
    assert "duplicate key 'name'" in p.message
    assert "first at line 2" in p.message
    assert p.line == 4


def test_tab_indentation():
    p = only_problem("spec:\n\tports: []\n")
    assert p.line == 2
    assert "tab" in p.message


def test_syntax_error_has_line_and_column():
    p = only_problem("kind: Service\nmetadata: name: web\n")
    assert (p.line, p.column) == (2, 15)
    assert p.message.startswith("YAML syntax error")


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_document_that_is_not_a_mapping(text):
    p = only_problem(text)
    assert "not a mapping" in p.message


def test_empty_input_and_empty_documents():
    assert "empty" in only_problem("").message
    assert "empty" in only_problem("# only a comment\n").message
    result = load_manifests("a: 1\n---\n---\nb: 2\n")
    assert [d.data for d in result.documents] == [{"a": 1}, {"b": 2}]
    assert [(p.severity, p.line) for p in result.problems] == [("warning", 3)]


def test_alias_bomb_is_bounded():
    levels = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        refs = ",".join([f"*a{i - 1}"] * 9)
        levels.append(f"a{i}: &a{i} [{refs}]")
    p = only_problem("\n".join(levels) + "\n")
    assert "aliases expand to far more values than the text holds" in p.message


def test_many_honest_values_are_not_a_bomb():
    """The alias budget grows with the text: 300,000 plain values load (no alias at all)."""
    result = load_manifests("a: [" + ",".join(["1"] * 300_000) + "]\n")
    assert result.ok and len(result.documents[0].data["a"]) == 300_000


def test_plain_aliases_still_work():
    result = load_manifests("x: &sel {app: web}\ny: *sel\n")
    assert result.documents[0].data == {"x": {"app": "web"}, "y": {"app": "web"}}


@pytest.mark.parametrize(
    "text",
    ["a: !!python/object/apply:os.system ['echo hi']\n", "a: !!binary aGk=\n", "a: !custom x\n"],
)
def test_foreign_tags_are_refused(text):
    p = only_problem(text)
    assert "tag" in p.message and "not allowed" in p.message
    assert p.line == 1


def test_input_over_one_mebibyte():
    p = only_problem(b"a: " + b"x" * MAX_BYTES)
    assert "1 MiB" in p.message


def test_binary_and_non_utf8_input():
    assert "binary" in only_problem(b"\x89PNG\r\n\x1a\n\x00\x00").message
    assert "UTF-8" in only_problem(b"name: caf\xe9\n").message


def test_deep_nesting_flow_and_block():
    assert "nested" in only_problem("a: " + "[" * 5000 + "]" * 5000).message
    block = "".join(" " * i + "k:\n" for i in range(100))
    assert "nested" in only_problem(block).message


def test_self_referencing_alias():
    assert "nested" in only_problem("a: &a [*a]\n").message


def test_json_with_tabs_is_accepted():
    result = load_manifests('{\n\t"kind": "Service",\n\t"metadata": {"name": "web"}\n}\n')
    assert result.ok
    assert result.documents[0].data["metadata"]["name"] == "web"
    assert result.documents[0].line_of(("metadata", "name")) == 3


def test_timestamps_stay_strings_and_merge_keys_resolve():
    data = (
        load_manifests("d: 2024-01-01\nbase: &b {a: 1}\nm:\n  <<: *b\n  c: 2\n").documents[0].data
    )
    assert data["d"] == "2024-01-01"
    assert data["m"] == {"a": 1, "c": 2}


def test_the_value_key_is_a_plain_key_with_or_without_merges():
    """YAML 1.1 resolves a bare `=` to the !!value tag; as a key it is the string "="."""
    assert load_manifests("=: 1\nb: 2\n").documents[0].data == {"=": 1, "b": 2}
    text = "x: &x {a: 1}\ny:\n  <<: *x\n  =: 2\n"
    assert load_manifests(text).documents[0].data["y"] == {"a": 1, "=": 2}


def test_a_bad_later_document_keeps_the_earlier_ones():
    result = load_manifests("a: 1\n---\nb: [\n")
    assert [d.data for d in result.documents] == [{"a": 1}]
    assert not result.ok


# -- the values are PyYAML's own -----------------------------------------------------------------

_SCALAR_TEXT = st.one_of(
    st.sampled_from(
        [
            "0",
            "-0",
            "+5",
            "007",
            "017",
            "-0123",
            "0x1F",
            "0o17",
            "1_000",
            "190:20:30",
            "1.5",
            "1e3",
            ".inf",
            "-.inf",
            ".nan",
            "yes",
            "No",
            "on",
            "OFF",
            "true",
            "False",
            "~",
            "null",
            "",
            "2024-01-02",
            "12:30",
            "'quoted'",
            '"80"',
            "a: b",
            "- x",
            "-",
            "=",
            "<<",
        ]
    ),
    st.integers(-(10**12), 10**12).map(str),
    st.text(alphabet="abcXYZ019_-.: ", min_size=1, max_size=6),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(st.text(alphabet="abk", min_size=1, max_size=3), _SCALAR_TEXT), max_size=6)
)
def test_values_equal_pyyaml_safe_load(pairs):
    """Scalars take a fast path (strings, plain decimal ints): the values must stay exactly
    what PyYAML's safe loader gives, types included."""
    keys = dict(pairs)
    text = "".join(f"{k}: {v}\n" for k, v in keys.items()) or "a: 1\n"
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    if not isinstance(expected, dict) or any(
        not isinstance(v, str | int | float | bool | type(None)) for v in expected.values()
    ):
        return  # dates and nested values: not what this test is about
    result = load_manifests(text)
    if not result.documents:
        return
    got = result.documents[0].data
    assert set(got) == {str(k) for k in expected}
    for key, value in expected.items():
        mine = got[str(key)]
        assert type(mine) is type(value) and (mine == value or value != value), (key, text)


@pytest.mark.parametrize(
    ("text", "words", "line"),
    [
        ("a: [1, 2\n", "a `[…]` is not closed", 2),
        ("spec:\n  ports:\n  - port: 80\n   name: x\n", "not indented like the other keys", 4),
        ("a: `x`\n", "a value cannot start with a backtick", 1),
        ("a:\n\tb: 1\n", "a tab character is used for indentation", 2),
        ("x: &a 1\ny: &a 2\n", "an anchor (`&name`) is defined twice", 2),
    ],
)
def test_syntax_errors_in_plain_words(text, words, line):
    """The learner reads what is wrong and the fix, not libyaml's parser states."""
    [p] = load_manifests(text).problems
    assert p.message.startswith("YAML syntax error: ") and words in p.message
    assert p.line == line and p.hint
    assert "while parsing" not in p.message and "expected <block end>" not in p.message


def test_a_syntax_error_in_a_huge_input_is_still_located():
    text = "a: 1\n" * 300_000 + "b: [1\n"  # too long to read again with the slow parser
    [p] = load_manifests(text, max_bytes=None).problems
    assert p.message.startswith("YAML syntax error") and p.line and p.line > 300_000
