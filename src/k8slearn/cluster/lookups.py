"""DNS lookups verify runs on a cluster: what to ask, what the model expects, what `dig` said.

Cluster DNS is what ExternalName and headless Services are about, and a lookup
settles what a connection cannot: kube-proxy (or a client picking one address)
sends each connection to one backend, while a lookup returns every record of a
name at once.

**The tool.** `dig`, from BIND's tools in the agnhost image verify already runs
(the upstream e2e image ships them), inside verify's own client pod, whose
resolver is the cluster's DNS Service. It is called as

    dig +time=2 +tries=2 +nocmd +noall +comments +question +answer NAME. TYPE [NAME. TYPE …]

which prints, per question, a `->>HEADER<<-` line with the status (NOERROR,
NXDOMAIN, SERVFAIL…), the question, and the answer records, one per line —
stable, documented text that `parse_dig` reads block by block.

**Absolute names only.** A name ending in the cluster domain is asked as it is.
A short one (`db-0.db` asked from namespace `data`) is completed by verify with
the search path a pod of that namespace has (`data.svc.cluster.local`,
`svc.cluster.local`, `cluster.local`), and each candidate is asked as an
absolute name: the first one with records answers, as a pod's resolver does.
The node's own search domains and upstream resolvers are never consulted, so a
lookup never leaves the cluster and a network that rewrites NXDOMAIN cannot
fool it.

**Record types.** A for a Service, a headless Service's members and a pod's own
name; CNAME for an ExternalName alias. CoreDNS answers a CNAME question from
its own data, while an A question makes it chase the target through upstream
resolvers — which in a kind cluster without internet, or for a target that does
not exist, can time out or come back empty, and then CoreDNS leaves the CNAME
out of its answer too. Asking for the CNAME itself checks the alias whether or
not its target resolves.

**Values.** Expected answers are kept symbolic until the cluster has given out
addresses: `pod:NS/NAME` (that pod's IP on the cluster), `clusterip:NS/NAME`
(the ClusterIP the API server allocated), an address written in an
EndpointSlice (kept as written), or `CNAME target`. `()` means no such name.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from k8slearn.model.dns import SUFFIX, search_path
from k8slearn.model.scenario import Pod
from k8slearn.model.services import CLUSTER_DOMAIN, DnsAnswer, Service, ServiceIndex

LookupKey = tuple[
    str, str, str
]  # (namespace whose search path completes the name or "", name, type)

# Services every cluster has, whatever the scenario says: a lookup of these names is not the
# scenario's to predict.
CLUSTER_SERVICES = ("default/kubernetes", "kube-system/kube-dns")
DIG_OPTIONS = ("+time=2", "+tries=2", "+nocmd", "+noall", "+comments", "+question", "+answer")
ANSWERED = ("NOERROR", "NXDOMAIN")  # statuses that say what the name has (maybe nothing)


@dataclass(frozen=True)
class Lookup:
    """One name to ask cluster DNS, and what the offline model says it answers.

    `asking` is the namespace whose search path completes a short `name` ("" when
    the name is absolute); `record` is "A" or "CNAME"; `expect` the model's
    answer as symbolic values (sorted, `()` for no such name); `wanted` what an
    exercise's `lookup` check asks for, in the same form; `subject` what the
    lookup is about (`svc:NS/NAME`, or `lookup` for an exercise's own check).
    """

    source: str
    name: str
    asking: str
    record: str
    expect: tuple[str, ...]
    wanted: tuple[str, ...] | None = None
    reason: str = ""
    subject: str = ""

    @property
    def key(self) -> LookupKey:
        return (self.asking, self.name, self.record)

    @property
    def queries(self) -> tuple[str, ...]:
        """The absolute names asked, in order."""
        return queries_for(self.name, self.asking)

    def label(self) -> str:
        where = f" (search path of {self.asking})" if self.asking else ""
        return f"{self.record} {self.name}{where}"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from": self.source,
            "name": self.name,
            "search": self.asking or None,
            "queries": list(self.queries),
            "type": self.record,
            "expect": list(self.expect),
        }
        if self.wanted is not None:
            out["wanted"] = list(self.wanted)
        if self.subject:
            out["about"] = self.subject
        return out


# -- names ---------------------------------------------------------------------------------------


def normalize(name: str) -> str:
    return name.strip().lower().rstrip(".")


def is_absolute(name: str) -> bool:
    """Whether a pod's resolver takes `name` as it is: a trailing dot, five dots or more
    (ndots:5), or a name in the cluster domain (its search-path forms can never exist)."""
    raw = name.strip().lower()
    bare = raw.rstrip(".")
    return raw.endswith(".") or bare.count(".") >= 5 or bare.endswith(f".{CLUSTER_DOMAIN}")


def queries_for(name: str, asking: str) -> tuple[str, ...]:
    """The absolute names verify asks for `name` from a pod of namespace `asking`."""
    if not asking or is_absolute(name):
        return (normalize(name) + ".",)
    return tuple(c + "." for c in search_path(normalize(name), asking))


def service_of(index: ServiceIndex, fqdn: str) -> Service | None:
    """The Service a cluster-DNS name belongs to (`svc.ns.svc…` or `host.svc.ns.svc…`)."""
    key = service_key(fqdn)
    return index.get(key) if key else None


def service_key(fqdn: str) -> str | None:
    parts = name_parts(fqdn)
    return f"{parts[-1]}/{parts[-2]}" if parts else None


def name_parts(fqdn: str) -> list[str] | None:
    """`[svc, ns]` or `[host, svc, ns]` for a name cluster DNS may have; None otherwise."""
    name = normalize(fqdn)
    if not name.endswith(SUFFIX):
        return None
    parts = name[: -len(SUFFIX)].split(".")
    return parts if len(parts) in (2, 3) else None


# -- the model's answer, in symbols ----------------------------------------------------------------


def symbolic(
    index: ServiceIndex, answer: DnsAnswer | None, verify_pods: set[str]
) -> tuple[tuple[str, ...], str]:
    """The model's answer as symbolic values, or a reason it cannot be checked on a cluster.

    A headless Service's address is `pod:` for a pod its selector picks (the
    cluster gives that pod another IP) and literal for one written in an
    EndpointSlice (the cluster serves it as written).
    """
    if answer is None or not answer.values:
        return (), ""
    if answer.record == "CNAME":
        return tuple(f"CNAME {normalize(v)}" for v in answer.values), ""
    svc = service_of(index, answer.name)
    if svc is None:
        return tuple(sorted(answer.values)), ""
    if not svc.headless:
        return (f"clusterip:{svc.key}",), ""
    written = {e.address for s in index.slices(svc) for e in s.endpoints}
    out = []
    for ip in answer.values:
        pod = next((p for p in index.selected_pods(svc) if p.ip == ip), None)
        if pod is None:
            out.append(ip)
            continue
        if ip in written:
            return (), (
                f"{normalize(answer.name)}: {ip} is both {pod.key}'s address and one written in an "
                f"EndpointSlice of svc:{svc.key}; on the cluster the pod gets another address"
            )
        if pod.key not in verify_pods:
            return (), not_ours(normalize(answer.name), svc, pod)
        out.append(f"pod:{pod.key}")
    return tuple(sorted(out)), ""


def not_ours(name: str, svc: Service, pod: Pod) -> str:
    """Why a name whose records depend on a pod verify does not create cannot be checked."""
    if pod.namespace == "kube-system":
        return (
            f"{name} (svc:{svc.key} selects {pod.key}): its records depend on pods of "
            "kube-system, where verify creates nothing"
        )
    return (
        f"{name} (svc:{svc.key} selects {pod.key}): its records depend on pods your answer "
        "creates, and verify neither waits for them nor learns their addresses"
    )


def wanted_values(values: Iterable[str], pods: set[str]) -> tuple[str, ...]:
    """An exercise's `resolves_to` in symbols: pods by key, addresses as written, and any
    other name as the target of a CNAME."""
    out = []
    for v in values:
        v = str(v).strip()
        if v in pods:
            out.append(f"pod:{v}")
            continue
        try:
            out.append(str(ipaddress.ip_address(v)))
        except ValueError:
            out.append(f"CNAME {normalize(v)}")
    return tuple(sorted(out))


def cluster_differs(index: ServiceIndex, fqdn: str) -> str:
    """Where CoreDNS (kind's cluster DNS) is known to answer otherwise than the DNS
    specification the model follows, the reason a lookup of `fqdn` proves nothing."""
    name = normalize(fqdn)
    key = service_key(name)
    if key in CLUSTER_SERVICES and index.get(key) is None:
        return f"{name}: every cluster has its own Service {key}, which the scenario does not model"
    svc = service_of(index, name)
    parts = name_parts(name)
    if svc is None or parts is None:
        return ""
    if svc.type == "ExternalName" and len(parts) == 2 and _is_ip(svc.external_name or ""):
        return (
            f"{name}: svc:{svc.key}'s externalName {svc.external_name} is an IP address, for "
            "which CoreDNS serves no record at all (not the CNAME the DNS specification describes)"
        )
    if len(parts) == 3 and not svc.headless and svc.type != "ExternalName":
        host = parts[0]
        named = any(
            p.hostname == host and p.subdomain == svc.name and (p.ready or svc.publish_not_ready)
            for p in index.selected_pods(svc)
        ) or any(e.hostname == host and e.ready for s in index.slices(svc) for e in s.endpoints)
        if named:
            return (
                f"{name}: CoreDNS also answers `<hostname>.<service>` names under a Service with a "
                "ClusterIP (the DNS specification, and the model, give them only to headless "
                "Services), so the cluster cannot confirm that this name does not exist"
            )
    return ""


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


# -- running and reading dig -----------------------------------------------------------------------


def dig_argv(queries: Iterable[str], record: str) -> list[str]:
    """One dig call for every candidate name, each asked as an absolute name."""
    argv = ["dig", *DIG_OPTIONS]
    for q in queries:
        argv += [q if q.endswith(".") else q + ".", record]
    return argv


@dataclass(frozen=True)
class DigReply:
    """One answered question of a dig run: its status and the answer section's records."""

    question: str  # absolute, lower case, with the trailing dot
    qtype: str
    status: str
    answers: tuple[tuple[str, str, str], ...]  # (owner, type, data), names lower case with dots


_HEADER = re.compile(r"->>HEADER<<-.*?\bstatus:\s*([A-Z0-9]+)")
_SECTION = re.compile(r"^;;\s*([A-Z]+(?: [A-Z]+)*) SECTION:")
_RECORD = re.compile(r"^(\S+)\s+(?:(\d+)\s+)?(?:(IN|CH|HS)\s+)?([A-Z][A-Z0-9]*)\s+(.*?)\s*$")


def parse_dig(output: str) -> list[DigReply]:
    """Every reply in dig's text output, in order.

    A reply begins at its `->>HEADER<<-` line (status) and holds the first
    question after it and the records of its ANSWER SECTION; the AUTHORITY and
    ADDITIONAL sections (an NXDOMAIN's SOA, say), warnings, EDNS lines and
    statistics are skipped. Lines that fit none of this are ignored, so a reply
    is never made up from noise. A question dig could not get answered prints
    no header (only `;; communications error …`) and so has no reply here.
    """
    replies: list[DigReply] = []
    status = question = qtype = ""
    section = ""
    answers: list[tuple[str, str, str]] = []

    def close() -> None:
        if status and question:
            replies.append(DigReply(question, qtype, status, tuple(answers)))

    for raw in output.splitlines():
        line = raw.strip()
        header = _HEADER.search(line)
        if header:
            close()
            status, question, qtype, section, answers = header.group(1), "", "", "", []
            continue
        if not status:
            continue
        found = _SECTION.match(line)
        if found:
            section = found.group(1)
            continue
        if not line:
            section = ""
            continue
        if section == "QUESTION" and line.startswith(";") and not line.startswith(";;"):
            fields = line[1:].split()
            if len(fields) >= 2 and not question:
                question = _absolute(fields[0])
                qtype = fields[-1].upper()
            continue
        if line.startswith(";"):
            continue
        if section == "ANSWER":
            record = _RECORD.match(line)
            if record:
                owner, rtype, data = record.group(1), record.group(4).upper(), record.group(5)
                if rtype == "CNAME":
                    data = _absolute(data)
                answers.append((_absolute(owner), rtype, data.strip()))
    close()
    return replies


def _absolute(name: str) -> str:
    return normalize(name) + "."


class DigUnclear(Exception):
    """dig's output does not settle the question (no reply, a server failure)."""


def read_answer(
    output: str, queries: Iterable[str], record: str, exit_code: int | None = 0
) -> tuple[str, ...]:
    """What the cluster answered for a lookup: the records of the first candidate that has
    any, as canonical values (`10.244.0.7`, `CNAME target`); `()` when none has.

    Only records owned by the asked name count (a chased CNAME target's address is the
    target's, not the name's). Raises DigUnclear when a candidate before the answer got no
    reply or a status other than NOERROR/NXDOMAIN: then nothing can be concluded.
    """
    replies = {(r.question, r.qtype): r for r in parse_dig(output)}
    for q in queries:
        asked = _absolute(q)
        reply = replies.get((asked, record.upper()))
        if reply is None:
            tail = " ".join(output.strip().splitlines()[-2:])[:200]
            code = "" if exit_code in (0, None) else f" (dig exited {exit_code})"
            raise DigUnclear(f"no answer for {asked}{code}: {tail or 'dig printed nothing'}")
        if reply.status not in ANSWERED:
            raise DigUnclear(f"{asked}: cluster DNS answered {reply.status}")
        values = []
        for owner, rtype, data in reply.answers:
            if owner != asked:
                continue
            if rtype == "CNAME":
                values.append(f"CNAME {normalize(data)}")
            elif rtype in ("A", "AAAA"):
                try:
                    values.append(str(ipaddress.ip_address(data)))
                except ValueError:
                    continue
        if values:
            return tuple(sorted(set(values)))
    return ()


def shown(values: Iterable[str], names: Mapping[str, str] | None = None) -> str:
    """Values for people: `data/db-0 (10.244.0.7)`, `CNAME db.example.com`, `no such name`."""
    names = names or {}
    out = []
    for v in values:
        if v.startswith("pod:"):
            out.append(v[4:])
        elif v.startswith("clusterip:"):
            out.append(f"the ClusterIP of svc:{v[10:]}")
        elif v in names:
            out.append(f"{names[v]} ({v})")
        else:
            out.append(v)
    return ", ".join(out) or "no such name"
