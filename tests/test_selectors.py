"""Label selector semantics (metav1.LabelSelector)."""

from hypothesis import given
from hypothesis import strategies as st

from k8slearn.model.selectors import LabelSelector, Requirement


def sel(raw):
    return LabelSelector.from_dict(raw)


def test_empty_selector_matches_everything():
    assert sel({}).matches({})
    assert sel(None).matches({"app": "x"})
    assert sel({}).is_empty


def test_match_labels_are_anded():
    s = sel({"matchLabels": {"app": "web", "tier": "front"}})
    assert s.matches({"app": "web", "tier": "front", "extra": "1"})
    assert not s.matches({"app": "web"})


def test_operators():
    labels = {"app": "web"}
    assert Requirement("app", "In", frozenset({"web", "api"})).matches(labels)
    assert not Requirement("app", "NotIn", frozenset({"web"})).matches(labels)
    assert Requirement("tier", "NotIn", frozenset({"db"})).matches(labels)  # key absent
    assert Requirement("app", "Exists").matches(labels)
    assert not Requirement("tier", "Exists").matches(labels)
    assert Requirement("tier", "DoesNotExist").matches(labels)
    assert not Requirement("app", "DoesNotExist").matches(labels)


def test_expressions_and_labels_combine():
    s = sel(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}],
        }
    )
    assert s.matches({"app": "web"})
    assert s.matches({"app": "web", "env": "dev"})
    assert not s.matches({"app": "web", "env": "prod"})
    assert s.describe() == "app=web,env notin (prod)"


labels = st.dictionaries(st.sampled_from(["app", "tier", "env"]), st.sampled_from(["a", "b"]))


@given(labels, st.dictionaries(st.sampled_from(["app", "tier"]), st.sampled_from(["a", "b"])))
def test_match_labels_equals_in_expressions(pod_labels, wanted):
    as_labels = sel({"matchLabels": wanted})
    as_exprs = sel(
        {
            "matchExpressions": [
                {"key": k, "operator": "In", "values": [v]} for k, v in wanted.items()
            ]
        }
    )
    assert as_labels.matches(pod_labels) == as_exprs.matches(pod_labels)
