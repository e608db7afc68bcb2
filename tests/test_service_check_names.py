"""A `service` check's `targetPort` may be a container port name: traffic must land on the
port of that name on every endpoint, whatever number each pod gives it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from k8slearn.grading.grader import Grader
from k8slearn.model.scenario import load_scenario
from k8slearn.packs.format import load_pack
from k8slearn.packs.model import Exercise
from k8slearn.packs.scaffold import new_pack
from k8slearn.packs.validate import validate_pack

# Two versions of one app: the same port name, different numbers.
SCENARIO: dict[str, Any] = {
    "namespaces": [{"name": "shop"}],
    "pods": [
        {
            "name": "web-v1",
            "namespace": "shop",
            "labels": {"app": "web"},
            "ports": [{"containerPort": 8080, "name": "http"}],
        },
        {
            "name": "web-v2",
            "namespace": "shop",
            "labels": {"app": "web"},
            "ports": [{"containerPort": 9090, "name": "http"}],
        },
        {
            "name": "api",
            "namespace": "shop",
            "labels": {"app": "api"},
            "ports": [{"containerPort": 7000, "name": "http"}],
        },
        {
            "name": "api-next",
            "namespace": "shop",
            "labels": {"app": "api", "track": "next"},
            "ready": False,
            "ports": [{"containerPort": 7000, "name": "http"}],
        },
    ],
}


def service(target: object, app: str = "web", name: str = "web") -> str:
    return (
        f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: shop}}\n"
        f"spec:\n  selector: {{app: {app}}}\n  ports: [{{port: 80, targetPort: {target}}}]\n"
    )


def check(answer: str, target: object = "http", key: str = "shop/web"):
    exercise = Exercise(
        id="t",
        title="t",
        prompt="p",
        scenario=SCENARIO,
        expect=[{"service": key, "port": 80, "targetPort": target}],
        solution="unused: true\n",
        file=Path("t.yaml"),
        pack_id="test",
    )
    grade = Grader(exercise).grade(answer)
    [result] = [c for c in grade.checks if c.name.startswith("Service")]
    return result


def test_the_name_passes_where_pods_give_it_different_numbers():
    result = check(service("http"))
    assert result.passed, result.message


@pytest.mark.parametrize(
    ("number", "wrong_pod", "landed", "named"),
    [(8080, "shop/web-v2", 8080, 9090), (9090, "shop/web-v1", 9090, 8080)],
)
def test_a_number_fails_on_the_pod_that_numbers_the_name_otherwise(
    number, wrong_pod, landed, named
):
    result = check(service(number))
    assert not result.passed
    assert result.message == (
        f"port 80 should reach the container port named 'http' on every endpoint: on "
        f"{wrong_pod} it lands on {landed}, but 'http' is {named} (a targetPort name is "
        "resolved pod by pod)"
    )


def test_a_number_passes_where_every_backend_maps_the_name_to_it():
    # shop/api is the only ready backend of an app=api Service, and its `http` is 7000
    result = check(service(7000, app="api", name="api"), key="shop/api")
    assert result.passed, result.message
    assert not check(service(7001, app="api", name="api"), key="shop/api").passed


def test_a_written_name_the_pods_lack_fails_pod_by_pod():
    result = check(service("metrics"))
    assert not result.passed
    assert "shop/web-v1 declares no container port named 'http' (TCP)" not in result.message
    assert "targetPort 'metrics' resolves on no port of shop/web-v1" in result.message
    assert "targetPort 'metrics' resolves on no port of shop/web-v2" in result.message


def test_without_endpoints_the_selected_pods_are_judged():
    # only the not-ready api-next carries track=next: no endpoint, but where would it land?
    answer = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: next, namespace: shop}\n"
        "spec:\n  selector: {track: next}\n  ports: [{port: 80, targetPort: TARGET}]\n"
    )
    assert check(answer.replace("TARGET", "http"), key="shop/next").passed
    assert check(answer.replace("TARGET", "7000"), key="shop/next").passed
    wrong = check(answer.replace("TARGET", "8080"), key="shop/next")
    assert not wrong.passed
    assert "on shop/api-next it lands on 8080, but 'http' is 7000" in wrong.message


def test_without_a_selector_the_slice_port_is_judged_against_the_name():
    answer = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
        "spec:\n  ports: [{name: web, port: 80}]\n---\n"
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
        "metadata:\n  name: web-1\n  namespace: shop\n"
        "  labels: {kubernetes.io/service-name: web}\n"
        "addressType: IPv4\nports: [{name: web, port: PORT}]\nendpoints:\n"
        "  - addresses: [ADDRESS]\n"
    )
    scenario, _ = load_scenario(SCENARIO)
    ip = scenario.pod("shop/web-v1").ip
    assert check(answer.replace("PORT", "8080").replace("ADDRESS", ip)).passed
    wrong = check(answer.replace("PORT", "9090").replace("ADDRESS", ip))
    assert not wrong.passed
    assert "on shop/web-v1 it lands on 9090, but 'http' is 8080" in wrong.message
    assert "without a selector, the EndpointSlice's port decides" in wrong.message


# -- in a pack ---------------------------------------------------------------------------------

EXERCISE = Path("01-first-lesson") / "exercises" / "01-expose-web.yaml"
NUMERIC = "    targetPort: 8080                # the container port traffic lands on, however it is named\n"


@pytest.fixture
def course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    new_pack(root)
    assert NUMERIC in (root / EXERCISE).read_text()
    return root


def with_target(root: Path, value: str) -> None:
    path = root / EXERCISE
    path.write_text(path.read_text().replace(NUMERIC, f"    targetPort: {value}\n"))


def test_a_pack_may_name_the_target_port(course):
    with_target(course, "http")
    report = validate_pack(course, mutate=False)
    assert report.ok and report.solutions_passed == 1, [p.located() for p in report.problems]


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        ("Http", "'Http' is not a port number or a container port name", "write 'http'"),
        ("web--api", "'web--api' is not a port number or a container port name", ""),
        ('"8080"', "a number is written without quotes", ""),
        ("a-very-long-port-name", "is longer than 15 characters", ""),
    ],
)
def test_a_target_port_that_is_no_port_name_is_a_schema_error(course, value, message, hint):
    with_target(course, value)
    report = validate_pack(course, mutate=False)
    assert not report.ok
    [problem] = [p for p in report.problems if p.is_error]
    assert problem.field == "expect[1].targetPort"
    assert message in problem.message
    assert problem.hint == hint


# -- the worked example of docs/pack-format.md says what its wrong answers do ------------------


def test_the_worked_examples_second_wrong_answer_fails_without_the_target_port_key(tmp_path):
    guide = (Path(__file__).resolve().parent.parent / "docs" / "pack-format.md").read_text()
    for name, body in re.findall(r"File `([^`]+)`:\n\n```[a-z]*\n(.*?)```", guide, re.S):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(body)
    exercise_file = tmp_path / "team-drills/01-redis/exercises/01-redis-from-api.yaml"
    data = yaml.safe_load(exercise_file.read_text())
    [service_check] = [c for c in data["expect"] if "service" in c]
    assert service_check.pop("targetPort") == 6379
    exercise_file.write_text(yaml.safe_dump(data, sort_keys=False))
    pack, problems = load_pack(tmp_path / "team-drills")
    assert pack is not None, problems
    [exercise] = pack.exercises()
    grader = Grader(exercise)
    first, second = (grader.grade(w.answer) for w in exercise.wrong_answers)
    # the first writes no targetPort and its Service is right: it fails on its policy only
    assert [c.name for c in first.failed_checks()] == [
        "other/api → shop/redis:6379",
        "whole truth table",
    ]
    # the second still fails three ways, as the guide says
    failed = {c.name: c.message for c in second.failed_checks()}
    assert set(failed) == {
        "Service shop/redis",
        "shop/api → svc:shop/redis:6379",
        "whole truth table",
    }
    quoted = (
        "port 6379 sends traffic to container port 6380 on shop/redis; the solution's to "
        "container port 6379"
    )
    assert failed["Service shop/redis"].startswith(quoted)
    assert quoted in " ".join(guide.split())
    assert (
        "where nothing listens (its containers declare 6379/TCP)"
        in (failed["shop/api → svc:shop/redis:6379"])
    )
