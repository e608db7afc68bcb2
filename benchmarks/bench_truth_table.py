"""How fast is the truth table on a big cluster, and how much faster than the naive oracle?

    python benchmarks/bench_truth_table.py [--pods 2000] [--namespaces 50] [--policies 400]

Builds a seeded random cluster (pods with app/tier/team labels and named
ports, namespaces with team/env labels) and policies of every shape the API
allows (podSelector, namespaceSelector, both, ipBlock with except, named
ports, endPort, default-deny, egress), then prints:

* the time to compile the policies and compute the full table on 2 ports,
* the naive per-pair oracle's time on a random sample of cells, scaled up to
  the full table, and the speed-up,
* that the sampled cells agree, and the process's peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time

from k8slearn.manifests.defaults import apply_defaults
from k8slearn.model.netpol import NetworkPolicy
from k8slearn.model.oracle import oracle_allowed
from k8slearn.model.reachability import ReachabilityModel
from k8slearn.model.scenario import load_scenario

APPS = [f"app{i}" for i in range(20)]
TIERS = ["web", "api", "db", "cache"]
TEAMS = ["a", "b", "c", "d", "e"]
PORTS = [(80, "TCP"), (53, "UDP")]


def make_scenario(rng: random.Random, pods: int, namespaces: int) -> dict:
    nss = [
        {
            "name": f"ns{i}",
            "labels": {"team": rng.choice(TEAMS), "env": rng.choice(["dev", "prod"])},
        }
        for i in range(namespaces)
    ]
    pod_list = []
    for i in range(pods):
        ports = [{"containerPort": 80, "name": "http"}]
        if rng.random() < 0.3:
            ports.append({"containerPort": 53, "name": "dns", "protocol": "UDP"})
        pod_list.append(
            {
                "name": f"pod-{i}",
                "namespace": f"ns{i % namespaces}",
                "labels": {"app": rng.choice(APPS), "tier": rng.choice(TIERS)},
                "ip": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
                "ports": ports,
            }
        )
    externals = [{"name": "internet", "ip": "93.184.216.34"}]
    return {"namespaces": nss, "pods": pod_list, "externals": externals}


def _selector(rng: random.Random) -> dict:
    roll = rng.random()
    if roll < 0.15:
        return {}
    if roll < 0.7:
        return {"matchLabels": {"app": rng.choice(APPS)}}
    op = rng.choice(["In", "NotIn", "Exists", "DoesNotExist"])
    expr: dict = {"key": rng.choice(["app", "tier"]), "operator": op}
    if op in ("In", "NotIn"):
        expr["values"] = rng.sample(TIERS, 2)
    return {"matchExpressions": [expr]}


def _peer(rng: random.Random) -> dict:
    roll = rng.random()
    if roll < 0.35:
        return {"podSelector": _selector(rng)}
    if roll < 0.6:
        return {"namespaceSelector": {"matchLabels": {"team": rng.choice(TEAMS)}}}
    if roll < 0.85:
        return {
            "namespaceSelector": {"matchLabels": {"env": "prod"}},
            "podSelector": _selector(rng),
        }
    return {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.1.0/24"]}}


def _ports(rng: random.Random) -> list:
    roll = rng.random()
    if roll < 0.3:
        return []
    if roll < 0.6:
        return [{"port": 80}]
    if roll < 0.8:
        return [{"port": "http"}, {"port": "dns", "protocol": "UDP"}]
    return [{"port": 50, "endPort": 90}]


def make_policies(rng: random.Random, count: int, namespaces: int) -> list[dict]:
    out = []
    for i in range(count):
        spec: dict = {"podSelector": _selector(rng)}
        kind = rng.random()
        if kind < 0.1:
            spec["policyTypes"] = ["Ingress", "Egress"]  # default deny both ways
        else:
            spec["ingress"] = [
                {"from": [_peer(rng) for _ in range(rng.randint(1, 3))], "ports": _ports(rng)}
                for _ in range(rng.randint(1, 2))
            ]
            if kind > 0.7:
                spec["egress"] = [{"to": [_peer(rng)], "ports": _ports(rng)}]
        out.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": f"pol-{i}", "namespace": f"ns{rng.randrange(namespaces)}"},
                "spec": spec,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, default=2000)
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--policies", type=int, default=400)
    parser.add_argument("--sample", type=int, default=4000, help="oracle cells to time")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    scenario, problems = load_scenario(make_scenario(rng, args.pods, args.namespaces))
    if scenario is None:
        sys.exit(f"bad generated scenario: {problems[:3]}")
    raw = [
        apply_defaults("NetworkPolicy", p)
        for p in make_policies(rng, args.policies, args.namespaces)
    ]
    policies = [NetworkPolicy.from_manifest(p) for p in raw]

    began = time.perf_counter()
    model = ReachabilityModel(scenario, policies)
    compiled = time.perf_counter()
    table = model.table(PORTS)
    done = time.perf_counter()
    endpoints = len(table.endpoints)
    cells = sum(1 for _ in table.pairs()) * len(PORTS)
    engine_s = done - began

    sample = [
        (rng.randrange(endpoints), rng.randrange(len(scenario.pods)), rng.choice(PORTS))
        for _ in range(args.sample)
    ]
    # Only the oracle's own calls are timed; the comparison with the table comes after.
    start = time.perf_counter()
    expected = [
        oracle_allowed(scenario, raw, table.endpoints[i], table.endpoints[j], port, proto)
        for i, j, (port, proto) in sample
    ]
    oracle_s = (time.perf_counter() - start) / len(sample) * cells
    disagreements = sum(
        want != bool(table.rows[port][i] >> j & 1)
        for want, (i, j, port) in zip(expected, sample, strict=True)
    )

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    allowed = sum(bin(r).count("1") for rows in table.rows.values() for r in rows)
    print(
        f"cluster: {len(scenario.pods)} pods, {len(scenario.namespaces)} namespaces, "
        f"{len(policies)} policies, ports {', '.join(f'{p}/{q}' for p, q in PORTS)}"
    )
    print(f"cells: {cells:,} ({allowed:,} allowed)")
    print(
        f"engine: {engine_s * 1000:.0f} ms (compile {1000 * (compiled - began):.0f} ms "
        f"+ table {1000 * (done - compiled):.0f} ms)"
    )
    print(
        f"naive oracle, extrapolated from {len(sample)} cells: {oracle_s:.1f} s "
        f"-> engine is {oracle_s / engine_s:.0f}x faster"
    )
    print(f"sampled cells where engine and oracle disagree: {disagreements}")
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
