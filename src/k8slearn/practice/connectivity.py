"""Connectivity tests the exam's way, answered from the model instead of a network.

`kubectl exec POD -- wget|curl|nc|nslookup|getent hosts|host …` (and the same
commands in a throw-away `kubectl run tmp --rm -it --image=busybox -- …` pod)
are answered here from the exercise's `World`: which name resolves to what
(`model/dns.py`), where kube-proxy sends a Service connection
(`World.reach_service`), and what the NetworkPolicies say about each
connection (`World.explain`). The output is what the real tools print:

* `wget`, `nc`, `nslookup`, `ping`: BusyBox 1.37 (the `busybox` image, glibc
  variant; `networking/wget.c`, `networking/nc_bloaty.c`,
  `networking/nslookup.c`, `libbb/xconnect.c`);
* `curl`: curl 8.11 to 8.14, whose messages are the same (the agnhost image is
  Alpine 3.21; `lib/multi.c`, `lib/connect.c`, `lib/hostip.c`, `src/tool_operate.c`);
* `getent hosts`: glibc's `getent` (`nss/getent.c`; the busybox image has none),
  and `host`: BIND's (in agnhost's bind-tools).

What the model decides and how it shows:

* every backend is taken to serve its own host name on every declared port, as
  agnhost `serve-hostname` does (HTTP on any path, body without a newline);
* a connection a NetworkPolicy drops times out (`wget: download timed out`,
  `curl: (28) Connection timed out after 2001 milliseconds`); a port nothing
  listens on, or a Service without endpoints (kube-proxy rejects), is refused;
  a name without a record is NXDOMAIN (`wget: bad address 'x'`);
* a pod whose egress policies stop DNS (UDP 53 to the `k8s-app: kube-dns` pods
  of kube-system, or a stand-in for them when the scenario has none) resolves
  nothing — the classic "forgot to allow DNS" symptom;
* a Service connection lands on the first backend that would answer, in the
  model's stable order (kube-proxy picks at random); `ExecResult.backend` says
  which, and `ExecResult.note` says what the model did, for the app to show;
* what leaves the modelled cluster (an ExternalName's target, a host on the
  internet, the API server) is not invented: exit code 126 and a plain message,
  as for any command the practice cluster does not answer (`cat`, `ls`, …).

Left out on purpose: curl's progress meter (its numbers are timings), reverse
lookups of pod addresses, and kube-proxy's nftables mode (modelled: iptables,
kind's default, where a ClusterIP port no Service port names is silently dropped).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

from k8slearn.model import dns
from k8slearn.model.scenario import Pod, free_pod_ips
from k8slearn.model.services import (
    CLUSTER_DOMAIN,
    DnsAnswer,
    Service,
    ServiceIndex,
    ServicePort,
)

if TYPE_CHECKING:
    from k8slearn.model.netpol import Endpoint
    from k8slearn.model.world import World

NOT_ANSWERED = 126  # the exit code for "the practice cluster cannot answer this"
CLUSTER_DNS_IP = "10.96.0.10"  # kube-dns, the nameserver in every pod's resolv.conf
API_SERVER_IP = "10.96.0.1"  # the `kubernetes` Service in default
SERVICE_RANGE = ipaddress.ip_network("10.96.0.0/12")  # kubeadm's and kind's default
DNS_LABELS: Mapping[str, str] = MappingProxyType({"k8s-app": "kube-dns"})
SYN_TIMEOUT = 127  # seconds Linux retries a SYN (tcp_syn_retries=6) before ETIMEDOUT
RESOLVER_TIMEOUT = 5  # seconds per try (resolv.conf `timeout`); glibc tries twice
CURL_VERSION = "8.12.1"  # for `curl -v`'s User-Agent only; Alpine 3.21 has had 8.11 to 8.14
HTTP_CONTENT_TYPE = "text/plain; charset=utf-8"  # Go's net/http sniffs plain text
COMMANDS = (
    "wget",
    "curl",
    "nc",
    "nslookup",
    "getent hosts",
    "host",
    "echo",
    'sh -c "…"',
)

# Outcomes of one connection attempt.
OPEN, REFUSED, DROPPED = "open", "refused", "dropped"
# Outcomes of one name lookup.
FOUND, NXDOMAIN, BLOCKED = "found", "nxdomain", "blocked"


@dataclass
class ExecResult:
    """What `kubectl exec` would show: the command's two streams and its exit code.

    `backend` is the pod (`namespace/name`) that answered, when one did; `note`
    says in words what the model decided (for the app, never part of the output);
    `waited` is roughly how many seconds the real command would have taken.
    """

    stdout: str
    stderr: str
    exit_code: int
    backend: str | None = None
    note: str = ""
    waited: float = 0.0


# --------------------------------------------------------------------------- entry points


def run_in_pod(
    world: World, namespace: str, pod: str, argv: Sequence[str], *, tty: bool = False
) -> ExecResult:
    """Answer `kubectl exec -n NAMESPACE POD -- ARGV…` from the model.

    `tty` is kubectl's `-t`: with a terminal some tools draw differently (the
    progress bar of wget).
    """
    source = world.scenario.pod(f"{namespace}/{pod}")
    if source is None:
        return ExecResult("", f'Error from server (NotFound): pods "{pod}" not found\n', 1)
    return _Shell(world, source, tty).run(list(argv))


def run_in_new_pod(
    world: World,
    namespace: str,
    labels: Mapping[str, str],
    argv: Sequence[str],
    *,
    name: str = "tmp",
    tty: bool = False,
) -> ExecResult:
    """Answer `kubectl run NAME --rm -it --image=busybox [--labels …] -- ARGV…`.

    The temporary pod joins the world with `labels` (kubectl run gives
    `run: NAME` unless told otherwise) and no declared port, exactly as a pod
    the learner's answer adds would (`world_with_pod`), so policies select it by
    its labels and namespace like any other pod.
    """
    if namespace not in world.scenario.namespaces:
        return ExecResult(
            "", f'Error from server (NotFound): namespaces "{namespace}" not found\n', 1
        )
    if world.scenario.pod(f"{namespace}/{name}") is not None:
        return ExecResult(
            "", f'Error from server (AlreadyExists): pods "{name}" already exists\n', 1
        )
    bigger, pod = world_with_pod(world, namespace, name, labels)
    return _Shell(bigger, pod, tty).run(list(argv))


def world_with_pod(
    world: World, namespace: str, name: str, labels: Mapping[str, str]
) -> tuple[World, Pod]:
    """`world` plus one running pod, placed as `model.world` places a pod an answer adds:
    the next free address of the pod range and the first node, ready, no declared ports."""
    scenario = world.scenario
    taken = {p.ip for p in scenario.pods}
    nodes = [n.name for n in scenario.nodes] or [""]
    pod = Pod(
        namespace,
        name,
        MappingProxyType({k: str(v) for k, v in labels.items()}),
        next(free_pod_ips(taken)),
        True,
        (),
        nodes[0],
    )
    return world.over(replace(scenario, pods=[*scenario.pods, pod])), pod


# --------------------------------------------------------------------------- the model's view


@dataclass
class Lookup:
    """What a pod's resolver (getaddrinfo: /etc/hosts, then DNS with the search path) found."""

    name: str  # as asked
    status: str  # FOUND, NXDOMAIN or BLOCKED (what lies outside the model raises _Outside)
    addresses: tuple[str, ...] = ()
    canonical: str = ""  # the name the addresses belong to
    aliases: tuple[str, ...] = ()  # CNAME owners on the way
    tries: int = 1  # names the resolver asked for (each costs a timeout when DNS is blocked)
    note: str = ""


@dataclass
class Connection:
    """One TCP or UDP connection attempt to `address:port` and what became of it."""

    outcome: str  # OPEN, REFUSED or DROPPED (what lies outside the model raises _Outside)
    address: str
    port: int
    backend: Endpoint | None = None
    note: str = ""

    @property
    def answer(self) -> str:
        """What the backend sends: its host name, as agnhost serve-hostname does."""
        if isinstance(self.backend, Pod):
            return (self.backend.hostname or self.backend.name)[:63]
        return ""

    @property
    def backend_key(self) -> str | None:
        return self.backend.key if self.outcome == OPEN and self.backend is not None else None


@dataclass
class _Answer:
    """A DNS server's reply to one question: rcode and (type, owner, value) records."""

    rcode: str  # "NOERROR" or "NXDOMAIN"
    records: list[tuple[str, str, str]]
    note: str = ""


class _Outside(Exception):
    """The answer lies outside the modelled cluster; the message says what and why."""


class _Unsupported(Exception):
    """A command or option the practice cluster does not answer."""


def _builtin_services() -> list[Service]:
    """The two Services every cluster has, for DNS when the exercise does not declare them."""
    return [
        Service(
            "default",
            "kubernetes",
            "ClusterIP",
            None,
            (ServicePort("https", 443, "TCP", 6443),),
            API_SERVER_IP,
        ),
        Service(
            "kube-system",
            "kube-dns",
            "ClusterIP",
            dict(DNS_LABELS),
            (
                ServicePort("dns", 53, "UDP", 53),
                ServicePort("dns-tcp", 53, "TCP", 53),
                ServicePort("metrics", 9153, "TCP", 9153),
            ),
            CLUSTER_DNS_IP,
        ),
    ]


class _Cluster:
    """The world as seen from one pod: its resolver, cluster DNS and its connections."""

    def __init__(self, world: World, pod: Pod):
        self.world = world
        self.pod = pod
        self.index = world.services
        missing = [s for s in _builtin_services() if self.index.get(s.key) is None]
        self.builtin = ServiceIndex(world.scenario, missing)
        self.by_cluster_ip = {
            ip: self.index.get(key) for key, ip in self.index.cluster_ips.items() if ip
        }
        self._dns_ok: bool | None = None

    # ---- /etc/hosts, as the kubelet writes it

    @property
    def hostname(self) -> str:
        return (self.pod.hostname or self.pod.name)[:63]

    def hosts_file(self) -> list[tuple[str, list[str]]]:
        """The kubelet-managed /etc/hosts of the pod (kubelet_pods.go, managedHostsFileContent)."""
        own = [self.hostname]
        if self.pod.subdomain:
            own.insert(0, f"{self.hostname}.{self.pod.subdomain}.{self.pod.namespace}{dns.SUFFIX}")
        return [
            ("127.0.0.1", ["localhost"]),
            ("::1", ["localhost", "ip6-localhost", "ip6-loopback"]),
            ("fe00::0", ["ip6-localnet"]),
            ("fe00::0", ["ip6-mcastprefix"]),
            ("fe00::1", ["ip6-allnodes"]),
            ("fe00::2", ["ip6-allrouters"]),
            (self.pod.ip, own),
        ]

    def from_hosts(self, name: str, family: int = 4) -> tuple[str, list[str]] | None:
        wanted = name.lower().rstrip(".")
        for ip, names in self.hosts_file():
            if wanted in names and ipaddress.ip_address(ip).version == family:
                return ip, names
        return None

    # ---- cluster DNS

    def dns_servers(self) -> list[Pod]:
        """The pods behind kube-dns: the scenario's, or a stand-in CoreDNS when it has none."""
        found = [
            p
            for p in self.world.scenario.pods
            if p.namespace == "kube-system"
            and p.ready
            and all(p.labels.get(k) == v for k, v in DNS_LABELS.items())
        ]
        if found:
            return found
        taken = {p.ip for p in self.world.scenario.pods}
        return [Pod("kube-system", "coredns", DNS_LABELS, next(free_pod_ips(taken)), True)]

    def dns_reachable(self) -> bool:
        """Whether the pod's queries (UDP 53) reach CoreDNS, by the policies' verdict."""
        if self._dns_ok is None:
            self._dns_ok = any(
                self.world.explain(self.pod, server, 53, "UDP").allowed
                for server in self.dns_servers()
            )
        return self._dns_ok

    def blocked_note(self) -> str:
        return (
            f"{self.pod.key} cannot reach cluster DNS: its egress policies do not allow UDP "
            "port 53 to the kube-dns pods in kube-system, so every lookup times out"
        )

    def record(self, fqdn: str) -> DnsAnswer | None:
        """Cluster DNS's record for an absolute name (model/dns.py), or None."""
        absolute = fqdn.rstrip(".") + "."
        found = dns.resolve(self.index, absolute, self.pod.namespace)
        return found or dns.resolve(self.builtin, absolute, self.pod.namespace)

    def upstream_nxdomain(self, fqdn: str) -> bool:
        """Whether a name CoreDNS forwards upstream surely does not exist there.

        A single label, anything under cluster.local, or a name ending in one of the
        world's namespaces (`web.shop`) is a mistyped cluster name, never an internet
        host; other names are the internet's business, which is not modelled.
        """
        labels = fqdn.rstrip(".").split(".")
        if len(labels) == 1 or fqdn.rstrip(".").endswith(CLUSTER_DOMAIN):
            return True
        last = labels[-1]
        return last in self.world.scenario.namespaces or last in ("svc", "cluster", "local")

    def ask(self, fqdn: str, qtype: str = "A", depth: int = 0) -> _Answer:
        """The server's reply to one question about an absolute name (raises _Outside)."""
        name = fqdn.rstrip(".").lower()
        if qtype == "PTR":
            return self.ask_ptr(name)
        found = self.record(name)
        if found is None:
            external = self.world.scenario.external(name) if "." in name else None
            if external is not None:
                records = [("A", name, external.ip)] if qtype == "A" else []
                return _Answer("NOERROR", records)
            if self.upstream_nxdomain(name):
                return _Answer("NXDOMAIN", [])
            raise _Outside(
                f"{name} is not a cluster name: CoreDNS forwards it to the DNS servers outside "
                "the cluster, which the practice cluster does not model"
            )
        if found.record == "CNAME":
            target = found.values[0].rstrip(".").lower()
            records = [("CNAME", found.name, target)]
            note = f"{found.name} is an ExternalName Service: a CNAME for {target}"
            if depth < 8:
                try:
                    chased = self.ask(target, qtype, depth + 1)
                    records += chased.records
                except _Outside:
                    note += (
                        "; CoreDNS asks the DNS outside the cluster for that name's addresses, "
                        "which the practice cluster does not model"
                    )
            return _Answer("NOERROR", records, note)
        if not found.values:  # a headless Service without ready endpoints: CoreDNS errNoItems
            return _Answer("NXDOMAIN", [], f"{found.name} has no ready endpoints")
        records = [("A", found.name, ip) for ip in found.values] if qtype == "A" else []
        return _Answer("NOERROR", records)

    def ask_ptr(self, arpa: str) -> _Answer:
        """Reverse lookups: a Service's ClusterIP names the Service; others are not modelled."""
        if not arpa.endswith(".in-addr.arpa"):
            return _Answer("NXDOMAIN", [])
        parts = arpa.removesuffix(".in-addr.arpa").split(".")
        ip = ".".join(reversed(parts))
        svc = self.by_cluster_ip.get(ip)
        if svc is None:
            svc = next(
                (s for s in self.builtin.services.values() if self.builtin.cluster_ip(s) == ip),
                None,
            )
        if svc is not None:
            return _Answer("NOERROR", [("PTR", arpa, svc.dns_name)])
        raise _Outside(f"the reverse lookup of {ip} is not modelled by the practice cluster")

    # ---- the resolver (getaddrinfo)

    def lookup(self, name: str) -> Lookup:
        """Resolve `name` as glibc/musl do in a pod: an address as is, /etc/hosts, then DNS
        with the search path (model/dns.resolve: `<ns>.svc.cluster.local svc.cluster.local
        cluster.local`, ndots:5), and the name itself last."""
        text = name.strip()
        try:
            ipaddress.ip_address(text)
        except ValueError:
            pass
        else:
            return Lookup(name, FOUND, (text,), text, tries=0)
        hosts = self.from_hosts(text)
        if hosts is not None:
            return Lookup(name, FOUND, (hosts[0],), hosts[1][0], tries=0)
        bare = text.lower().rstrip(".")
        absolute = text.endswith(".") or bare.count(".") >= 5
        tries = 1 if absolute else len(dns.search_path(bare, self.pod.namespace)) + 1
        if not self.dns_reachable():
            return Lookup(name, BLOCKED, tries=tries, note=self.blocked_note())
        found = dns.resolve(self.index, text, self.pod.namespace) or dns.resolve(
            self.builtin, text, self.pod.namespace
        )
        if found is None:
            answer = self.ask(bare)  # the name itself, as the last try
            if answer.rcode != "NOERROR" or not answer.records:
                return Lookup(name, NXDOMAIN, tries=tries, note=answer.note)
            return Lookup(name, FOUND, tuple(v for _, _, v in answer.records), bare, tries=tries)
        answer = self.ask(found.name)
        addresses = tuple(v for kind, _, v in answer.records if kind == "A")
        aliases = tuple(owner for kind, owner, _ in answer.records if kind == "CNAME")
        if answer.rcode != "NOERROR":
            return Lookup(name, NXDOMAIN, tries=tries, note=answer.note)
        if not addresses:
            if aliases:
                raise _Outside(answer.note)
            return Lookup(name, NXDOMAIN, tries=tries, note=answer.note)
        canonical = next(owner for kind, owner, _ in answer.records if kind == "A")
        return Lookup(name, FOUND, addresses, canonical, aliases, tries, answer.note)

    # ---- connections

    def connect(self, address: str, port: int, protocol: str = "TCP") -> Connection:
        """Where a connection to `address:port` goes and what the world says about it."""
        if address in ("127.0.0.1", "::1") or address == self.pod.ip:
            return self._to_pod(self.pod, address, port, protocol)
        svc = self.by_cluster_ip.get(address)
        if svc is not None and svc.key != "default/kubernetes":  # that one is the API server
            return self._via_service(svc, address, port, protocol)
        scenario = self.world.scenario
        pod = next((p for p in scenario.pods if p.ip == address), None)
        if pod is not None:
            return self._to_pod(pod, address, port, protocol)
        external = next((e for e in scenario.externals if e.ip == address), None)
        if external is not None:
            if not self.world.explain(self.pod, external, port, protocol).allowed:
                note = (
                    f"{self.pod.key}'s egress policies drop the connection to "
                    f"{external.name} ({address})"
                )
                return Connection(DROPPED, address, port, external, note)
            raise _Outside(
                f"the connection goes to {external.name} ({address}), outside the cluster; what "
                "answers there is not modelled"
            )
        if address in (API_SERVER_IP, CLUSTER_DNS_IP) or svc is not None:
            raise _Outside(
                f"{address} is one of the cluster's own Services (the API server or cluster DNS), "
                "which the practice cluster does not run"
            )
        if any(n.ip == address for n in scenario.nodes):
            raise _Outside(f"{address} is a node's address; node ports from a pod are not modelled")
        try:
            in_services = ipaddress.ip_address(address) in SERVICE_RANGE
        except ValueError:
            in_services = False
        if in_services:
            note = f"no Service has the ClusterIP {address}, so nothing answers and the SYN is lost"
            return Connection(DROPPED, address, port, None, note)
        raise _Outside(f"no pod, Service or known host has the address {address}")

    def _to_pod(self, pod: Pod, address: str, port: int, protocol: str) -> Connection:
        """Straight to a pod's address: its policies, then whether anything listens there."""
        verdict = self.world.explain(self.pod, pod, port, protocol)
        listening = not pod.ports or any(
            cp.port == port and cp.protocol == protocol for cp in pod.ports
        )
        if not verdict.allowed:
            return Connection(DROPPED, address, port, pod, verdict.summary())
        if not listening:
            declared = ", ".join(f"{cp.port}/{cp.protocol}" for cp in pod.ports)
            reply = "a reset" if protocol == "TCP" else "port unreachable"
            note = f"{pod.key} listens on {declared}, not on {port}/{protocol}: its kernel answers {reply}"
            return Connection(REFUSED, address, port, pod, note)
        return Connection(OPEN, address, port, pod, verdict.summary())

    def _via_service(self, svc: Service, address: str, port: int, protocol: str) -> Connection:
        """Through a ClusterIP: kube-proxy's choice of backend, judged by `World.reach_service`."""
        reach = self.world.reach_service(self.pod.key, svc.key, port, protocol)
        answering = sorted(reach.backends, key=lambda b: not isinstance(b[0], Pod))
        for target, target_port, ok in answering:
            if ok and isinstance(target, Pod):
                others = sum(1 for _, _, good in reach.backends if good) - 1
                note = (
                    f"{svc.key} sent the connection to {target.key}:{target_port}"
                    + (
                        f" (kube-proxy picks a backend at random; {others} other"
                        f" backend{'s' if others > 1 else ''} would answer too)"
                        if others
                        else ""
                    )
                    + (f"; {reach.note}" if reach.note else "")
                )
                return Connection(OPEN, address, port, target, note)
            if ok:
                raise _Outside(
                    f"{svc.key}'s endpoint {target.ip} is outside the cluster; what answers "
                    "there is not modelled"
                )
        if reach.backends:
            target, target_port, _ = reach.backends[0]
            allowed = self.world.explain(self.pod, target, target_port, protocol)
            outcome = REFUSED if allowed.allowed and target.key in reach.not_listening else DROPPED
            why = (
                f"{target.key} does not listen on {target_port}/{protocol}"
                if outcome == REFUSED
                else allowed.summary()
            )
            note = f"{svc.key} sent the connection to {target.key}:{target_port}: {why}"
            return Connection(outcome, address, port, target, note)
        sp = next((p for p in svc.ports if p.port == port and p.protocol == protocol), None)
        if sp is None:
            note = (
                f"{reach.note} kube-proxy (iptables mode) has no rule for that port, so the "
                "packet is lost"
            )
            return Connection(DROPPED, address, port, None, note)
        if not self.index.endpoints(svc, sp):
            note = f"{reach.note} kube-proxy rejects connections to a Service without endpoints"
            return Connection(REFUSED, address, port, None, note)
        return Connection(DROPPED, address, port, None, reach.note)


# --------------------------------------------------------------------------- the commands


@dataclass
class _Out:
    """Streams being written by one command."""

    stdout: str = ""
    stderr: str = ""
    code: int = 0
    backend: str | None = None
    note: str = ""
    waited: float = 0.0

    def err(self, text: str) -> None:
        self.stderr += text

    def out(self, text: str) -> None:
        self.stdout += text

    def tell(self, text: str) -> None:
        """Add to the note for the app, once."""
        text = text.strip()
        if text and text not in self.note:
            self.note = f"{self.note} {text}".strip()

    def result(self) -> ExecResult:
        return ExecResult(
            self.stdout, self.stderr, self.code, self.backend, self.note.strip(), self.waited
        )


def _not_answered(message: str) -> ExecResult:
    return ExecResult("", f"k8slearn practice cluster: {message}\n", NOT_ANSWERED, note=message)


def _commands_hint() -> str:
    return "it answers only connectivity commands: " + ", ".join(COMMANDS)


class _Shell:
    """Runs one command line in a pod: a tool, `echo`, or `sh -c` around them."""

    def __init__(self, world: World, pod: Pod, tty: bool):
        self.cluster = _Cluster(world, pod)
        self.tty = tty
        self.tools: dict[str, Callable[[list[str]], _Out]] = {
            "wget": self.wget,
            "curl": self.curl,
            "nc": self.nc,
            "nslookup": self.nslookup,
            "getent": self.getent,
            "host": self.host,
            "ping": self.ping,
            "echo": self.echo,
            "true": lambda _args: _Out(),
            "false": lambda _args: _Out(code=1),
        }

    def run(self, argv: list[str]) -> ExecResult:
        if not argv:
            return _not_answered("no command given; " + _commands_hint())
        program = argv[0].rsplit("/", 1)[-1]
        try:
            if program in ("sh", "ash", "bash"):
                return self.shell(argv)
            return self.one(argv).result()
        except _Outside as outside:
            return _not_answered(f"{outside}, so this command is not answered")
        except _Unsupported as unsupported:
            return _not_answered(str(unsupported))

    def one(self, argv: list[str]) -> _Out:
        program = argv[0].rsplit("/", 1)[-1]
        tool = self.tools.get(program)
        if tool is None:
            raise _Unsupported(f"`{program}` is not available here; {_commands_hint()}")
        return tool(argv[1:])

    # ---- sh -c

    def shell(self, argv: list[str]) -> ExecResult:
        """`sh -c "A && B || C; D"` with the tools above and /dev/null redirections."""
        if len(argv) < 3 or argv[1] != "-c":
            raise _Unsupported(
                "an interactive shell is not available here; give the command after `--`, or "
                f'as `sh -c "…"`; {_commands_hint()}'
            )
        script = _parse_script(argv[2])
        for _, words, _ in script:
            program = words[0].rsplit("/", 1)[-1]
            if program not in self.tools and program != "exit":
                raise _Unsupported(f"`{program}` is not available here; {_commands_hint()}")
        total = _Out()
        status = 0
        for op, words, redirects in script:
            if (op == "&&" and status != 0) or (op == "||" and status == 0):
                continue
            if words[0] == "exit":
                code = int(words[1]) if len(words) > 1 and words[1].isdigit() else status
                total.code = code
                return total.result()
            done = self.one(words)
            out, err = done.stdout, done.stderr
            if redirects.get(2) == "&1":
                out, err = out + err, ""
            if redirects.get(1) == "/dev/null":
                out = ""
            if redirects.get(2) == "/dev/null":
                err = ""
            total.out(out)
            total.err(err)
            total.waited += done.waited
            total.backend = done.backend or total.backend
            total.tell(done.note)
            status = done.code
        total.code = status
        return total.result()

    # ---- echo

    def echo(self, args: list[str]) -> _Out:
        newline = "\n"
        if args[:1] == ["-n"]:
            newline, args = "", args[1:]
        return _Out(stdout=" ".join(args) + newline)

    # ---- ping

    def ping(self, args: list[str]) -> _Out:
        raise _Unsupported(
            "ICMP is not modelled (NetworkPolicies govern TCP, UDP and SCTP only, and CNIs "
            "differ on ping); test the port instead, e.g. `nc -zv -w 2 HOST PORT`"
        )

    # ---- wget (BusyBox)

    def wget(self, args: list[str]) -> _Out:
        out = _Out()
        try:
            opts, urls = _getopt(
                "wget",
                args,
                short="cqSO:o:P:Y:U:T:t:n:",
                long={
                    "continue": "c",
                    "quiet": "q",
                    "server-response": "S",
                    "output-document": "O",
                    "output-file": "o",
                    "directory-prefix": "P",
                    "proxy": "Y",
                    "user-agent": "U",
                    "timeout": "T",
                    "tries": "t",
                    "header": "header=",
                    "post-data": "post-data=",
                    "spider": "spider",
                    "no-check-certificate": "no-check-certificate",
                    "post-file": "post-file=",
                    "passive-ftp": "ignored",
                    "no-cache": "ignored",
                    "no-verbose": "ignored",
                    "no-clobber": "ignored",
                    "no-host-directories": "ignored",
                    "no-parent": "ignored",
                },
            )
        except _UsageError as bad:
            return _busybox_usage(out, bad, WGET_USAGE)
        if not urls:
            return _busybox_usage(out, None, WGET_USAGE)
        if "S" in opts:
            raise _Unsupported("wget -S (show the server's headers) is not modelled")
        quiet = "q" in opts
        timeout = _number_option(opts, "T", 900, "wget", out)  # 900: BusyBox's default -T
        if timeout is None:
            return out
        document = opts.get("O", [None])[-1]
        spider = "spider" in opts
        log_to_file = "o" in opts and opts["o"][-1] != "-"
        for url in urls:
            self._wget_one(out, url, quiet, timeout, document, spider)
            if out.code:
                break
        if log_to_file:
            out.stderr = ""
        return out

    def _wget_one(
        self, out: _Out, url: str, quiet: bool, timeout: int, document: str | None, spider: bool
    ) -> None:
        scheme, hostport, path = _split_url(url)
        if scheme not in ("http", "https", "ftp"):
            out.err(f"wget: not an http or ftp url: {url}\n")
            out.code = 1
            return
        if scheme != "http":
            raise _Unsupported(f"{scheme}:// is not modelled: the backends serve plain HTTP")
        host, port = _split_hostport(hostport, 80)
        if port is None:
            out.err(f"wget: bad port '{hostport.rsplit(':', 1)[-1]}'\n")
            out.code = 1
            return
        found = self.cluster.lookup(host)
        out.tell(found.note)
        if found.status != FOUND:
            out.waited += _lookup_wait(found)
            out.err(f"wget: bad address '{hostport}'\n")
            out.code = 1
            return
        conn = self._first_answering(found.addresses, port, "TCP")
        address = conn.address
        out.tell(conn.note)
        if not quiet:
            out.err(f"Connecting to {hostport} ({address}:{port})\n")
        if conn.outcome == DROPPED:
            if timeout < SYN_TIMEOUT:
                out.waited += timeout
                out.err("wget: download timed out\n")
            else:
                out.waited += SYN_TIMEOUT
                out.err(f"wget: can't connect to remote host ({address}): Connection timed out\n")
            out.code = 1
            return
        if conn.outcome == REFUSED:
            out.err(f"wget: can't connect to remote host ({address}): Connection refused\n")
            out.code = 1
            return
        out.backend = conn.backend_key
        body = conn.answer
        if spider:
            if not quiet:
                out.err("remote file exists\n")
            return
        target = document
        if target is None:
            last = path.rsplit("/", 1)[-1].split("?", 1)[0].split("#", 1)[0]
            target = last or "index.html"
        if not quiet:
            out.err("writing to stdout\n" if target == "-" else f"saving to '{target}'\n")
            out.err(self._busybox_bar("-" if target == "-" else target, len(body)))
        if target == "-":
            out.out(body)
        if not quiet:
            out.err("written to stdout\n" if target == "-" else f"'{target}' saved\n")

    def _busybox_bar(self, name: str, size: int) -> str:
        """BusyBox's last progress line (libbb/progress.c) for a `size`-byte download."""
        stars = "*" * 32  # a terminal of 80 columns, the default without one: 80 - 48
        line = f"{name[:20]:<20} 100% |{stars}| {size:>5}  0:00:00 ETA"
        return f"\r{line}\n" if self.tty else f"{line}\n"

    def _first_answering(self, addresses: Sequence[str], port: int, protocol: str) -> Connection:
        """The connection to the first address that answers (DNS order varies: CoreDNS's
        loadbalance plugin shuffles A records), else to the first address."""
        tried = [self.cluster.connect(a, port, protocol) for a in addresses]
        return next((c for c in tried if c.outcome == OPEN), tried[0])

    # ---- curl (8.12)

    def curl(self, args: list[str]) -> _Out:
        out = _Out()
        try:
            opts, urls = _getopt(
                "curl",
                args,
                short="sSvLkfiI46gGNnqZ#m:o:w:H:X:d:A:e:x:b:c:u:r:C:",
                long={
                    "silent": "s",
                    "show-error": "S",
                    "verbose": "v",
                    "location": "L",
                    "insecure": "k",
                    "fail": "f",
                    "fail-with-body": "f",
                    "include": "i",
                    "head": "I",
                    "ipv4": "4",
                    "ipv6": "6",
                    "max-time": "m",
                    "connect-timeout": "connect-timeout=",
                    "output": "o",
                    "write-out": "w",
                    "header": "H",
                    "request": "X",
                    "data": "d",
                    "user-agent": "A",
                    "referer": "e",
                    "proxy": "x",
                    "noproxy": "noproxy=",
                    "retry": "retry=",
                    "http1.1": "ignored",
                    "no-progress-meter": "ignored",
                    "progress-bar": "#",
                    "no-buffer": "N",
                },
                curl_style=True,
            )
        except _UsageError as bad:
            out.err(f"curl: option {bad.option}: {bad.reason}\n")
            out.err("curl: try 'curl --help' or 'curl --manual' for more information\n")
            out.code = 2
            return out
        if not urls:
            out.err("curl: (2) no URL specified\n")
            out.err("curl: try 'curl --help' or 'curl --manual' for more information\n")
            out.code = 2
            return out
        limits = []
        for key in ("m", "connect-timeout="):
            for value in opts.get(key, []):
                try:
                    seconds = float(value)
                except ValueError:
                    out.err(f"curl: option {'-m' if key == 'm' else '--connect-timeout'}: ")
                    out.err("expected a proper numerical parameter\n")
                    out.err("curl: try 'curl --help' or 'curl --manual' for more information\n")
                    out.code = 2
                    return out
                if seconds > 0:
                    limits.append(seconds)
        show_errors = "s" not in opts or "S" in opts
        for url in urls:
            self._curl_one(out, url, opts, min(limits) if limits else None, show_errors)
        return out

    def _curl_one(
        self, out: _Out, url: str, opts: dict, limit: float | None, show_errors: bool
    ) -> None:
        verbose = "v" in opts
        head = "I" in opts
        written: dict[str, str] = {"http_code": "000", "response_code": "000", "remote_ip": ""}
        written.update(remote_port="", size_download="0", exitcode="0", errormsg="")

        def fail(code: int, message: str) -> None:
            if verbose:
                out.err(f"* {message}\n")
            if show_errors:
                out.err(f"curl: ({code}) {message}\n")
            out.code = code
            written.update(exitcode=str(code), errormsg=message)

        scheme, hostport, path = _split_url(url)
        if scheme not in ("http", "https"):
            raise _Unsupported(f"curl {scheme}:// is not modelled: the backends serve plain HTTP")
        if scheme == "https":
            raise _Unsupported("https is not modelled: the backends serve plain HTTP")
        host, port = _split_hostport(hostport, 80)
        if port is None:
            fail(3, "URL rejected: Port number was not a decimal number between 0 and 65535")
            self._write_out(out, opts, written)
            return
        found = self.cluster.lookup(host)
        out.tell(found.note)
        if found.status != FOUND:
            waited = _lookup_wait(found, per_try=RESOLVER_TIMEOUT)  # musl: one 5 s try per name
            if found.status == BLOCKED and limit is not None and limit < waited:
                out.waited += limit
                fail(28, f"Resolving timed out after {_ms(limit)} milliseconds")
            else:
                out.waited += waited if found.status == BLOCKED else 0
                fail(6, f"Could not resolve host: {host}")
            self._write_out(out, opts, written)
            return
        if verbose and host not in found.addresses:
            out.err(f"* Host {host}:{port} was resolved.\n")
            out.err("* IPv6: (none)\n")
            out.err(f"* IPv4: {', '.join(found.addresses)}\n")
        conn = self._first_answering(found.addresses, port, "TCP")
        out.tell(conn.note)
        written.update(remote_ip=conn.address, remote_port=str(port))
        if verbose:
            out.err(f"*   Trying {conn.address}:{port}...\n")
        if conn.outcome == DROPPED:
            if limit is not None and limit < SYN_TIMEOUT:
                out.waited += limit
                fail(28, f"Connection timed out after {_ms(limit)} milliseconds")
            else:
                out.waited += SYN_TIMEOUT
                message = (
                    f"Failed to connect to {host} port {port} after {SYN_TIMEOUT * 1000 + 1} ms: "
                    "Could not connect to server"
                )
                fail(28, message)
            written["remote_ip"] = written["remote_port"] = ""
            self._write_out(out, opts, written)
            return
        if conn.outcome == REFUSED:
            if verbose:
                out.err(
                    f"* connect to {conn.address} port {port} from {self.cluster.pod.ip} port "
                    f"{_ephemeral_port(self.cluster.pod.ip)} failed: Connection refused\n"
                )
            fail(
                7,
                f"Failed to connect to {host} port {port} after 1 ms: Could not connect to server",
            )
            written["remote_ip"] = written["remote_port"] = ""
            self._write_out(out, opts, written)
            return
        out.backend = conn.backend_key
        body = conn.answer
        date = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
        headers = [
            "HTTP/1.1 200 OK",
            f"Date: {date}",
            f"Content-Length: {len(body.encode())}",
            f"Content-Type: {HTTP_CONTENT_TYPE}",
        ]
        method = "HEAD" if head else opts.get("X", ["POST" if "d" in opts else "GET"])[-1]
        if verbose:
            out.err(f"* Connected to {host} ({conn.address}) port {port}\n")
            out.err("* using HTTP/1.x\n")
            request = [
                f"{method} /{path} HTTP/1.1",
                f"Host: {host if port == 80 else hostport}",
                f"User-Agent: curl/{CURL_VERSION}",
                "Accept: */*",
            ]
            out.err("".join(f"> {line}\r\n" for line in request) + "> \r\n")
            out.err("* Request completely sent off\n")
            out.err("".join(f"< {line}\r\n" for line in headers) + "< \r\n")
            if body and not head and not self.tty:
                out.err(f"{{ [{len(body.encode())} bytes data]\n")
            out.err(f"* Connection #0 to host {host} left intact\n")
        text = ""
        if head or "i" in opts:
            text += "".join(f"{line}\r\n" for line in headers) + "\r\n"
        if not head:
            text += body
        target = opts.get("o", ["-"])[-1]
        if target == "-":
            out.out(text)
        written.update(http_code="200", response_code="200", size_download=str(len(body.encode())))
        self._write_out(out, opts, written)

    def _write_out(self, out: _Out, opts: dict, values: Mapping[str, str]) -> None:
        """curl's `-w FORMAT` with the %{variables} the exam uses and backslash escapes."""
        if "w" not in opts:
            return
        fmt = opts["w"][-1]
        text, i = "", 0
        while i < len(fmt):
            if fmt.startswith("%{", i) and "}" in fmt[i:]:
                end = fmt.index("}", i)
                name = fmt[i + 2 : end]
                if name in values:
                    text += values[name]
                else:
                    out.err(f"curl: unknown --write-out variable: '{name}'\n")
                i = end + 1
            elif fmt.startswith("\\", i) and i + 1 < len(fmt) and fmt[i + 1] in "nrt\\":
                text += {"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}[fmt[i + 1]]
                i += 2
            else:
                text += fmt[i]
                i += 1
        out.out(text)

    # ---- nc (BusyBox, nc 1.10 compatible)

    def nc(self, args: list[str]) -> _Out:
        out = self._nc(args)
        if out.code == 0 or "nc: bad " not in out.stderr:
            verbose = sum(
                w.count("v") for w in args if w.startswith("-") and not w.startswith("--")
            )
            if verbose > 1:  # nc_bloaty.c ends every run it does not die in with this
                out.err("sent 0, rcvd 0\n")
        return out

    def _nc(self, args: list[str]) -> _Out:
        out = _Out()
        try:
            opts, rest = _getopt("nc", args, short="np:s:ubvw:lki:o:ze:", long={})
        except _UsageError as bad:
            return _busybox_usage(out, bad, NC_USAGE)
        if "l" in opts or "k" in opts or "e" in opts:
            raise _Unsupported("nc -l/-k/-e (listening, running a program) is not modelled")
        if len(rest) != 2:
            return _busybox_usage(out, None, NC_USAGE)
        verbose = len(opts.get("v", []))
        zero = "z" in opts
        udp = "u" in opts
        wait = _number_option(opts, "w", 0, "nc", out)
        if wait is None:
            return out
        host, port_text = rest
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            out.err(f"nc: bad port '{port_text}'\n")
            out.code = 1
            return out
        port = int(port_text)
        found = self.cluster.lookup(host)
        out.tell(found.note)
        if found.status != FOUND:
            out.waited += _lookup_wait(found)
            out.err(f"nc: bad address '{host}'\n")
            out.code = 1
            return out
        protocol = "UDP" if udp else "TCP"
        conn = self._first_answering(found.addresses, port, protocol)
        out.tell(conn.note)
        where = f"{host} ({conn.address}:{port})"
        if udp:
            if not zero:
                raise _Unsupported(
                    "nc -u without -z needs input to send, which `kubectl exec` without -i "
                    "does not give; use `nc -zu -w 2 HOST PORT`"
                )
            # UDP "scanning" (udptest): only an ICMP port-unreachable tells a closed port;
            # a dropped datagram looks exactly like an open port.
            out.waited += wait
            if conn.outcome == REFUSED:
                if verbose > 1:
                    out.err(f"nc: {where}: Connection refused\n")
                out.code = 1
                return out
            if conn.outcome == DROPPED:
                out.tell("UDP gives no answer to a dropped datagram, so nc reports it open.")
            else:
                out.backend = conn.backend_key
            if verbose:
                out.err(f"{where} open\n")
            return out
        if conn.outcome == DROPPED:
            out.waited += wait if 0 < wait < SYN_TIMEOUT else SYN_TIMEOUT
            if verbose:
                out.err(f"nc: {where}: Connection timed out\n")
            out.code = 1
            return out
        if conn.outcome == REFUSED:
            if verbose > 1:  # one -v does not print refusals (nc_bloaty.c)
                out.err(f"nc: {where}: Connection refused\n")
            out.code = 1
            return out
        out.backend = conn.backend_key
        if verbose:
            out.err(f"{where} open\n")
        if not zero:
            out.tell(
                " The modelled backend speaks HTTP and nc sent no request (no stdin), so it "
                "printed nothing."
            )
        return out

    # ---- nslookup (BusyBox, the "big" one)

    def nslookup(self, args: list[str]) -> _Out:
        out = _Out()
        qtypes: list[str] = []
        rest = list(args)
        while rest and rest[0].startswith("-"):
            option, _, value = rest.pop(0)[1:].partition("=")
            if option in ("type", "querytype", "q", "query"):
                wanted = value.upper()
                if wanted not in (
                    "A",
                    "AAAA",
                    "CNAME",
                    "PTR",
                    "SOA",
                    "NS",
                    "MX",
                    "TXT",
                    "SRV",
                    "ANY",
                ):
                    out.err(f'nslookup: invalid query type "{value}"\n')
                    out.code = 1
                    return out
                if wanted not in ("A", "AAAA", "CNAME", "PTR"):
                    raise _Unsupported(
                        f"nslookup -type={value} is not modelled (A, AAAA, CNAME, PTR are)"
                    )
                qtypes.append(wanted)
            elif option in ("port", "retry", "debug", "t", "timeout"):
                continue
            else:
                return _busybox_usage(out, None, NSLOOKUP_USAGE)
        if not rest or len(rest) > 2:
            return _busybox_usage(out, None, NSLOOKUP_USAGE)
        name = rest[0]
        if len(rest) == 2 and rest[1] != CLUSTER_DNS_IP:
            raise _Unsupported(
                f"asking the DNS server {rest[1]} is not modelled (cluster DNS is {CLUSTER_DNS_IP})"
            )
        questions = self._nslookup_questions(name, qtypes)
        if not self.cluster.dns_reachable():
            out.tell(self.cluster.blocked_note())
            out.waited += RESOLVER_TIMEOUT
            out.out(";; connection timed out; no servers could be reached\n\n")
            out.code = 1
            return out
        out.out(f"Server:\t\t{CLUSTER_DNS_IP}\nAddress:\t{CLUSTER_DNS_IP}:53\n\n")
        for qname, qtype in questions:
            reply = self.cluster.ask(qname, qtype)
            out.tell(reply.note)
            if reply.rcode != "NOERROR":
                out.out(f"** server can't find {qname}: {reply.rcode}\n")
                out.code = 1
            for kind, owner, value in reply.records:
                if kind == "A" and qtype in ("A", "AAAA"):
                    out.out(f"Name:\t{owner}\nAddress: {value}\n")
                elif kind == "CNAME":
                    out.out(f"{owner}\tcanonical name = {value}\n")
                elif kind == "PTR":
                    out.out(f"{owner}\tname = {value}\n")
            out.out("\n")
        return out

    def _nslookup_questions(self, name: str, qtypes: list[str]) -> list[tuple[str, str]]:
        """The queries BusyBox sends: PTR for an address; else A then AAAA, each for
        `name.<domain>` of every search domain when the name has no dot, or for the
        name alone when it has one (nslookup.c add_query_with_search)."""
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            address = None
        if address is not None and not qtypes:
            if address.version != 4:
                raise _Unsupported("reverse lookups of IPv6 addresses are not modelled")
            return [(address.reverse_pointer, "PTR")]
        search = [f"{self.cluster.pod.namespace}{dns.SUFFIX}", dns.SUFFIX[1:], CLUSTER_DOMAIN]
        names = [name] if "." in name else [f"{name}.{domain}" for domain in search]
        return [(n, t) for t in (qtypes or ["A", "AAAA"]) for n in names]

    # ---- getent hosts (glibc)

    def getent(self, args: list[str]) -> _Out:
        out = _Out()
        if not args:
            out.err("getent: wrong number of arguments\n")
            out.err("Try `getent --help' or `getent --usage' for more information.\n")
            out.code = 1
            return out
        if args[0] != "hosts":
            raise _Unsupported(f"getent {args[0]} is not available here; {_commands_hint()}")
        if len(args) == 1:
            for ip, names in self.cluster.hosts_file():
                out.out(f"{ip:<15} {' '.join(names)}\n")
            return out
        for key in args[1:]:
            line = self._getent_host(key, out)
            if line is None:
                out.code = 2
            else:
                out.out(line)
        return out

    def _getent_host(self, key: str, out: _Out) -> str | None:
        """One key the way glibc's getent hosts looks it up: an address by gethostbyaddr,
        a name by gethostbyname2 for IPv6 first, then IPv4 (/etc/hosts before DNS)."""
        try:
            address = ipaddress.ip_address(key)
        except ValueError:
            address = None
        if address is not None:
            for ip, names in self.cluster.hosts_file():
                if ipaddress.ip_address(ip) == address:
                    return f"{ip:<15} {' '.join(names)}\n"
            if not self.cluster.dns_reachable():
                out.waited += 2 * RESOLVER_TIMEOUT
                return None
            if address.version != 4:
                raise _Unsupported("reverse lookups of IPv6 addresses are not modelled")
            reply = self.cluster.ask(address.reverse_pointer, "PTR")
            return f"{key:<15} {reply.records[0][2]}\n"
        v6 = self.cluster.from_hosts(key, family=6)
        if v6 is not None:
            return f"{v6[0]:<15} {' '.join(v6[1])}\n"
        found = self.cluster.lookup(key)
        out.tell(found.note)
        if found.status != FOUND:
            out.waited += _lookup_wait(found)
            return None
        hosts = self.cluster.from_hosts(key)
        if hosts is not None:
            return f"{hosts[0]:<15} {' '.join(hosts[1])}\n"
        aliases = "".join(f" {a}" for a in found.aliases)
        return "".join(f"{ip:<15} {found.canonical}{aliases}\n" for ip in found.addresses)

    # ---- host (BIND)

    def host(self, args: list[str]) -> _Out:
        out = _Out()
        names = [a for a in args if not a.startswith("-")]
        if len(names) != 1 or len(names) != len(args):
            raise _Unsupported("host takes one name here (its options are not modelled)")
        name = names[0]
        if not self.cluster.dns_reachable():
            out.tell(self.cluster.blocked_note())
            out.waited += 2 * RESOLVER_TIMEOUT
            out.out(";; connection timed out; no servers could be reached\n")
            out.code = 1
            return out
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            address = None
        if address is not None:
            if address.version != 4:
                raise _Unsupported("reverse lookups of IPv6 addresses are not modelled")
            reply = self.cluster.ask(address.reverse_pointer, "PTR")
            owner, value = reply.records[0][1], reply.records[0][2]
            out.out(f"{owner} domain name pointer {value}.\n")
            return out
        bare = name.rstrip(".")
        absolute = name.endswith(".") or bare.count(".") >= 5
        candidates = [] if absolute else dns.search_path(bare, self.cluster.pod.namespace)
        for candidate in [*candidates, bare]:
            reply = self.cluster.ask(candidate)
            if reply.rcode == "NOERROR":
                out.tell(reply.note)
                for kind, owner, value in reply.records:
                    if kind == "CNAME":
                        out.out(f"{owner} is an alias for {value}.\n")
                    else:
                        out.out(f"{owner} has address {value}\n")
                return out
        out.out(f"Host {name} not found: 3(NXDOMAIN)\n")
        out.code = 1
        return out


# --------------------------------------------------------------------------- helpers

WGET_USAGE = (
    "Usage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n"
    "\t[--post-data STR | --post-file FILE] [-Y on/off]\n"
    "\t[--no-check-certificate] [-P DIR] [-U AGENT] [-T SEC] URL...\n"
)
NC_USAGE = (
    "Usage: nc [OPTIONS] HOST PORT  - connect\nnc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen\n"
)
NSLOOKUP_USAGE = "Usage: nslookup [-type=QUERY_TYPE] [-debug] HOST [DNS_SERVER]\n"


class _UsageError(Exception):
    def __init__(self, message: str, option: str = "", reason: str = ""):
        super().__init__(message)
        self.option = option
        self.reason = reason


def _number_option(
    opts: dict[str, list[str]], letter: str, default: int, program: str, out: _Out
) -> int | None:
    """The last value of option -`letter` as a number (`default` without it); None after
    BusyBox's complaint (exit 1) when it is not one."""
    if letter not in opts:
        return default
    value = opts[letter][-1]
    if not value.isdigit():
        out.err(f"{program}: invalid number '{value}'\n")
        out.code = 1
        return None
    return int(value)


def _busybox_usage(out: _Out, bad: _UsageError | None, usage: str) -> _Out:
    """What BusyBox prints for bad options: glibc getopt's complaint, then the usage (exit 1)."""
    if bad is not None:
        out.err(f"{bad}\n")
    out.err(usage)
    out.code = 1
    return out


def _getopt(
    program: str,
    args: list[str],
    *,
    short: str,
    long: Mapping[str, str],
    curl_style: bool = False,
) -> tuple[dict[str, list[str]], list[str]]:
    """Parse options as glibc's getopt_long does (clustered short flags, `-T2`, `-T 2`,
    `--timeout=2`, unique prefixes of long names), or as curl does (`curl_style`: long
    options take their value as the next word and must be spelled out).

    `short` lists letters, a `:` after one that takes a value; `long` maps names to a
    short letter, or to a name of their own (ending in `=` when they take a value).
    Returns the options (each with every value given) and the other words.
    """
    takes = {c for i, c in enumerate(short) if i + 1 < len(short) and short[i + 1] == ":"}
    opts: dict[str, list[str]] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "--":
            rest += args[i:]
            break
        if word.startswith("--"):
            name, eq, value = word[2:].partition("=")
            if curl_style and eq:
                raise _UsageError("", word, "is unknown")
            matches = [n for n in long if n == name] or [n for n in long if n.startswith(name)]
            if curl_style:
                matches = [n for n in long if n == name]
            if len(matches) != 1:
                if curl_style:
                    raise _UsageError("", word, "is unknown")
                kind = "is ambiguous" if matches else "unrecognized option"
                if matches:
                    raise _UsageError(f"{program}: option '--{name}' {kind}")
                raise _UsageError(f"{program}: unrecognized option '--{name}'")
            key = long[matches[0]]
            wants = key in takes or key.endswith("=")
            if wants and not eq:
                if i >= len(args):
                    if curl_style:
                        raise _UsageError("", word, "requires parameter")
                    raise _UsageError(f"{program}: option '--{matches[0]}' requires an argument")
                value = args[i]
                i += 1
            elif not wants and eq:
                raise _UsageError(f"{program}: option '--{matches[0]}' doesn't allow an argument")
            opts.setdefault(key, []).append(value if wants else "")
            continue
        if word.startswith("-") and len(word) > 1:
            j = 1
            while j < len(word):
                letter = word[j]
                j += 1
                if letter not in short or letter == ":":
                    if curl_style:
                        raise _UsageError("", word, "is unknown")
                    raise _UsageError(f"{program}: invalid option -- '{letter}'")
                if letter in takes:
                    value = word[j:]
                    if not value:
                        if i >= len(args):
                            if curl_style:
                                raise _UsageError("", f"-{letter}", "requires parameter")
                            raise _UsageError(
                                f"{program}: option requires an argument -- '{letter}'"
                            )
                        value = args[i]
                        i += 1
                    opts.setdefault(letter, []).append(value)
                    break
                opts.setdefault(letter, []).append("")
            continue
        rest.append(word)
    return opts, rest


def _split_url(url: str) -> tuple[str, str, str]:
    """(scheme, host[:port], path without the leading slash); http when no scheme is given."""
    scheme, sep, remainder = url.partition("://")
    if not sep:
        scheme, remainder = "http", url
    hostport, _, path = remainder.partition("/")
    for mark in ("?", "#"):
        if mark in hostport:
            hostport, _, tail = hostport.partition(mark)
            path = mark + tail + ("/" + path if path else "")
    return scheme.lower(), hostport, path


def _split_hostport(hostport: str, default: int) -> tuple[str, int | None]:
    host, sep, port = hostport.rpartition(":")
    if not sep:
        return hostport, default
    if not port.isdigit() or int(port) > 65535:
        return host, None
    return host, int(port)


def _lookup_wait(found: Lookup, per_try: int = 2 * RESOLVER_TIMEOUT) -> float:
    """Seconds a lookup that fails takes: nothing for NXDOMAIN, timeouts when DNS is blocked."""
    return float(per_try * max(found.tries, 1)) if found.status == BLOCKED else 0.0


def _ms(seconds: float) -> int:
    """curl's elapsed milliseconds when its timer fires: the limit and one more."""
    return int(seconds * 1000) + 1


def _ephemeral_port(ip: str) -> int:
    """A stable source port from the kernel's ephemeral range, for curl -v's failure line."""
    return 32768 + sum(ip.encode()) * 97 % 28000


def _tokens(script: str) -> list[tuple[str, str]]:
    """Words and operators of a `sh -c` script, as a POSIX shell splits them.

    Quotes and backslashes are honoured; `N>` right after a word of digits is a
    redirection of descriptor N. What a shell would expand or run elsewhere
    (`$`, backquotes, parentheses, `<`) is refused rather than guessed at.
    """
    tokens: list[tuple[str, str]] = []
    word: str | None = None
    quoted = False
    i = 0

    def refuse(what: str) -> _Unsupported:
        return _Unsupported(
            f"{what} in a shell script is not modelled; the practice shell runs simple "
            "commands joined by ;, && and ||, with >/dev/null and 2>&1"
        )

    while i < len(script):
        c = script[i]
        if c in " \t\n":
            if word is not None:
                tokens.append(("word", word))
            word, quoted = None, False
            i += 1
        elif c == "'":
            end = script.find("'", i + 1)
            if end < 0:
                raise _Unsupported("the script has an unterminated quote")
            word, quoted = (word or "") + script[i + 1 : end], True
            i = end + 1
        elif c == '"':
            j, text = i + 1, ""
            while j < len(script) and script[j] != '"':
                if script[j] == "\\" and j + 1 < len(script) and script[j + 1] in '"\\$`':
                    text += script[j + 1]
                    j += 2
                    continue
                if script[j] in "$`":
                    raise refuse(f"`{script[j]}`")
                text += script[j]
                j += 1
            if j >= len(script):
                raise _Unsupported("the script has an unterminated quote")
            word, quoted = (word or "") + text, True
            i = j + 1
        elif c == "\\":
            word = (word or "") + script[i + 1 : i + 2]
            quoted = True
            i += 2
        elif c in "$`()<":
            raise refuse(f"`{c}`")
        elif c in ";&|>":
            two = script[i : i + 2]
            op = two if two in ("&&", "||", ">>", ">&", "&>", ";;") else c
            if op in (">", ">>", ">&") and word is not None and word.isdigit() and not quoted:
                tokens.append(("redirect", word + op))
            else:
                if word is not None:
                    tokens.append(("word", word))
                tokens.append(("redirect" if ">" in op else "op", op))
            word, quoted = None, False
            i += len(op)
        else:
            word = (word or "") + c
            i += 1
    if word is not None:
        tokens.append(("word", word))
    return tokens


def _parse_script(script: str) -> list[tuple[str | None, list[str], dict[int, str]]]:
    """Split a `sh -c` script into simple commands joined by `;`, `&&` and `||`, each with
    its /dev/null redirections (and `2>&1`)."""
    tokens = _tokens(script)
    commands: list[tuple[str | None, list[str], dict[int, str]]] = []
    op: str | None = None
    words: list[str] = []
    redirects: dict[int, str] = {}
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        i += 1
        if kind == "word":
            words.append(text)
        elif kind == "op" and text in (";", "&&", "||"):
            if words:
                commands.append((op, words, redirects))
            elif text != ";" or not commands:
                raise _Unsupported(f"the script has an empty command before `{text}`")
            op, words, redirects = text, [], {}
        elif kind == "op":
            raise _Unsupported(
                f"`{text}` in a shell script is not modelled; the practice shell runs simple "
                "commands joined by ;, && and ||, with >/dev/null and 2>&1"
            )
        else:
            fd_text, symbol = text.rstrip(">&"), text[len(text.rstrip(">&")) :]
            target = tokens[i][1] if i < len(tokens) and tokens[i][0] == "word" else ""
            i += 1
            streams = [1, 2] if symbol == "&>" else [int(fd_text) if fd_text else 1]
            if symbol == ">&" and target == "1" and streams == [2]:
                redirects[2] = "&1"
            elif symbol != ">&" and target == "/dev/null" and set(streams) <= {1, 2}:
                for stream in streams:
                    redirects[stream] = "/dev/null"
            else:
                raise _Unsupported(
                    "the practice pod has no files to write: only >/dev/null, 2>/dev/null, "
                    "&>/dev/null and 2>&1 are modelled"
                )
    if words:
        commands.append((op, words, redirects))
    elif op in ("&&", "||"):
        raise _Unsupported(f"the script ends with `{op}`")
    if not commands:
        raise _Unsupported("the script is empty")
    return commands
