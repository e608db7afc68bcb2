"""Connectivity commands in the practice cluster: real tools' output, the model's verdict.

The expected strings come from the tools' sources (BusyBox 1.37 networking/wget.c,
nc_bloaty.c, nslookup.c and libbb/xconnect.c; curl 8.12 lib/multi.c, lib/connect.c,
lib/hostip.c, src/tool_operate.c; glibc nss/getent.c) and the verdicts from `World`
itself: a property test checks that every answer agrees with `World.reach_service`,
`World.explain` and the truth table.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_world
from k8slearn.practice.connectivity import (
    CLUSTER_DNS_IP,
    NOT_ANSWERED,
    ExecResult,
    run_in_new_pod,
    run_in_pod,
)

SCENARIO = {
    "namespaces": [
        {"name": "shop", "labels": {"team": "shop"}},
        {"name": "data"},
        {"name": "other"},
        {"name": "kube-system"},
    ],
    "pods": [
        {
            "name": "frontend",
            "namespace": "shop",
            "labels": {"app": "frontend"},
            "ip": "10.244.1.10",
            "ports": [{"containerPort": 8080, "name": "http"}],
        },
        {
            "name": "web-1",
            "namespace": "shop",
            "labels": {"app": "web"},
            "ip": "10.244.1.11",
            "ports": [{"containerPort": 8080, "name": "http"}],
        },
        {  # the same port name on another number: a named targetPort is resolved per pod
            "name": "web-2",
            "namespace": "shop",
            "labels": {"app": "web"},
            "ip": "10.244.1.12",
            "ports": [{"containerPort": 8081, "name": "http"}],
        },
        {
            "name": "api",
            "namespace": "shop",
            "labels": {"app": "api"},
            "ip": "10.244.1.13",
            "ports": [{"containerPort": 9000, "name": "api"}],
        },
        {
            "name": "lonely",
            "namespace": "shop",
            "labels": {"app": "lonely"},
            "ip": "10.244.1.14",
            "ready": False,
            "ports": [{"containerPort": 8080}],
        },
        {
            "name": "db-0",
            "namespace": "data",
            "labels": {"app": "db"},
            "ip": "10.244.2.10",
            "hostname": "db-0",
            "subdomain": "db",
            "ports": [{"containerPort": 5432, "name": "postgres"}],
        },
        {
            "name": "db-1",
            "namespace": "data",
            "labels": {"app": "db"},
            "ip": "10.244.2.11",
            "hostname": "db-1",
            "subdomain": "db",
            "ports": [{"containerPort": 5432, "name": "postgres"}],
        },
        {"name": "client", "namespace": "other", "labels": {"app": "client"}, "ip": "10.244.3.10"},
        {
            "name": "coredns-1",
            "namespace": "kube-system",
            "labels": {"k8s-app": "kube-dns"},
            "ip": "10.244.0.2",
            "ports": [
                {"containerPort": 53, "name": "dns", "protocol": "UDP"},
                {"containerPort": 53, "name": "dns-tcp"},
            ],
        },
    ],
    "externals": [{"name": "api.example.com", "ip": "203.0.113.9"}],
}

MANIFESTS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-from-frontend, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: frontend}}}]
    ports: [{port: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: other}
spec: {podSelector: {}, policyTypes: [Egress]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{port: 9000}]}
---
apiVersion: v1
kind: Service
metadata: {name: broken, namespace: shop}
spec: {selector: {app: lonely}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec: {clusterIP: None, selector: {app: db}, ports: [{port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: partner, namespace: shop}
spec: {type: ExternalName, externalName: api.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: search, namespace: shop}
spec: {type: ExternalName, externalName: www.google.com}
"""

WORLD = make_world(SCENARIO, MANIFESTS)
WEB_IP = WORLD.services.cluster_ip(WORLD.services.get("shop/web"))
API_IP = WORLD.services.cluster_ip(WORLD.services.get("shop/api"))
BROKEN_IP = WORLD.services.cluster_ip(WORLD.services.get("shop/broken"))
SERVER_LINES = f"Server:\t\t{CLUSTER_DNS_IP}\nAddress:\t{CLUSTER_DNS_IP}:53\n\n"


def run(command: str, pod: str = "shop/frontend") -> ExecResult:
    namespace, name = pod.split("/")
    return run_in_pod(WORLD, namespace, name, command.split())


def expect(result: ExecResult, stdout: str, stderr: str, code: int) -> None:
    assert (result.stdout, result.stderr, result.exit_code) == (stdout, stderr, code)


# --------------------------------------------------------------------------- wget (BusyBox)


def test_wget_allowed_prints_the_backends_name_as_serve_hostname_does():
    result = run("wget -qO- --timeout=2 http://web")
    # agnhost serve-hostname writes the host name with "%s": no newline.
    expect(result, "web-1", "", 0)
    assert result.backend == "shop/web-1"
    assert result.backend in WORLD.reach_service("shop/frontend", "shop/web", 80).answered()


def test_wget_denied_by_policy_times_out_after_the_given_timeout():
    # wget.c alarm_handler: bb_simple_error_msg_and_die("download timed out")
    result = run("wget -qO- -T 2 api:9000")
    expect(result, "", "wget: download timed out\n", 1)
    assert result.waited == 2
    assert not WORLD.reach_service("shop/frontend", "shop/api", 9000).allowed


def test_wget_denied_without_timeout_waits_for_the_kernel():
    # -T defaults to 900 s; the kernel gives up on the SYN first and xconnect() reports it.
    result = run(f"wget -qO- {API_IP}:9000")
    expect(result, "", f"wget: can't connect to remote host ({API_IP}): Connection timed out\n", 1)


def test_wget_to_service_without_ready_endpoints_is_refused():
    # libbb/xconnect.c: bb_perror_msg_and_die("%s (%s)", "can't connect to remote host", ip)
    result = run("wget -qO- -T 2 broken")
    expect(result, "", f"wget: can't connect to remote host ({BROKEN_IP}): Connection refused\n", 1)


def test_wget_nxdomain_is_bad_address_naming_host_and_port_as_typed():
    # xconnect.c str2sockaddr: bb_error_msg("bad address '%s'", org_host), org_host keeps ":port"
    expect(run("wget -qO- -T 2 nope:80"), "", "wget: bad address 'nope:80'\n", 1)


def test_wget_without_q_shows_connecting_and_the_progress_line():
    result = run("wget -O- web:80")
    assert result.stdout == "web-1"
    assert result.stderr == (
        f"Connecting to web:80 ({WEB_IP}:80)\n"
        "writing to stdout\n"
        "-                    100% |********************************|     5  0:00:00 ETA\n"
        "written to stdout\n"
    )


def test_wget_spider_says_the_remote_file_exists():
    expect(
        run("wget --spider web"),
        "",
        f"Connecting to web ({WEB_IP}:80)\nremote file exists\n",
        0,
    )


def test_wget_unknown_option_answers_like_getopt_and_busybox_usage():
    result = run("wget --bogus web")
    assert result.exit_code == 1
    assert result.stderr.startswith("wget: unrecognized option '--bogus'\nUsage: wget [-cqS]")
    assert run("wget -x web").stderr.startswith("wget: invalid option -- 'x'\n")
    expect(run("wget -T soon web"), "", "wget: invalid number 'soon'\n", 1)


# --------------------------------------------------------------------------- curl 8.12


def test_curl_allowed_silent_and_write_out():
    expect(run("curl -s -m 2 http://web"), "web-1", "", 0)
    expect(run("curl -s -o /dev/null -w %{http_code} web"), "200", "", 0)


def test_curl_denied_times_out_with_exit_28():
    # lib/multi.c multi_handle_timeout, MSTATE_CONNECTING
    expect(
        run("curl -m 2 api:9000"),
        "",
        "curl: (28) Connection timed out after 2001 milliseconds\n",
        28,
    )
    expect(
        run("curl --connect-timeout 2 api:9000"),
        "",
        "curl: (28) Connection timed out after 2001 milliseconds\n",
        28,
    )
    # -s hides the message, not the exit code; -w still writes (http_code 000)
    expect(run("curl -s -o /dev/null -w %{http_code} -m 2 api:9000"), "000", "", 28)


def test_curl_refused_and_unresolved():
    # lib/connect.c "Failed to connect to %s port %u after %d ms: %s" + strerror(COULDNT_CONNECT)
    expect(
        run("curl broken"),
        "",
        "curl: (7) Failed to connect to broken port 80 after 1 ms: Could not connect to server\n",
        7,
    )
    # lib/hostip.c "Could not resolve %s: %s"
    expect(run("curl -sS nope"), "", "curl: (6) Could not resolve host: nope\n", 6)
    expect(run("curl -s nope"), "", "", 6)


def test_curl_verbose_shows_resolution_connection_and_headers():
    result = run("curl -sv web")
    assert result.stdout == "web-1"
    lines = result.stderr.split("\n")
    assert lines[:6] == [
        "* Host web:80 was resolved.",
        "* IPv6: (none)",
        f"* IPv4: {WEB_IP}",
        f"*   Trying {WEB_IP}:80...",
        f"* Connected to web ({WEB_IP}) port 80",
        "* using HTTP/1.x",
    ]
    assert "> GET / HTTP/1.1\r" in lines
    assert "< HTTP/1.1 200 OK\r" in lines
    assert "< Content-Length: 5\r" in lines
    assert any(re.fullmatch(r"< Date: \w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT\r", x) for x in lines)


def test_curl_option_errors_are_curls_own():
    expect(
        run("curl --max-time=2 web"),
        "",
        "curl: option --max-time=2: is unknown\n"
        "curl: try 'curl --help' or 'curl --manual' for more information\n",
        2,
    )
    assert run("curl").stderr.startswith("curl: (2) no URL specified\n")


# --------------------------------------------------------------------------- nc (BusyBox)


def test_nc_open_denied_refused_and_bad_address():
    # nc_bloaty.c: "%s (%s) open" with the address as IP:port
    expect(run("nc -zv -w 2 web 80"), "", f"web ({WEB_IP}:80) open\n", 0)
    expect(run("nc -zv -w 2 api 9000"), "", f"nc: api ({API_IP}:9000): Connection timed out\n", 1)
    # one -v does not print refusals; -vv does, and the closing counts
    expect(run("nc -zv -w 2 broken 80"), "", "", 1)
    expect(
        run("nc -zvv -w 2 broken 80"),
        "",
        f"nc: broken ({BROKEN_IP}:80): Connection refused\nsent 0, rcvd 0\n",
        1,
    )
    expect(run("nc -z -w 2 nope 80"), "", "nc: bad address 'nope'\n", 1)


def test_nc_udp_scan_cannot_tell_a_drop_from_an_open_port():
    # udptest(): only an ICMP port-unreachable makes the second write fail
    db0 = "10.244.2.10"
    expect(run(f"nc -zvu -w 2 {db0} 5432"), "", "", 1)  # nothing on 5432/UDP: refused
    dropped = run("nc -zvu -w 2 api 9000")  # the policy drops it; nc cannot know
    assert dropped.stderr == f"api ({API_IP}:9000) open\n" and dropped.exit_code == 0
    assert "reports it open" in dropped.note


# --------------------------------------------------------------------------- names


def test_nslookup_short_name_asks_every_search_domain_and_fails_on_their_nxdomain():
    result = run("nslookup web")
    nx = "** server can't find web.{}: NXDOMAIN\n\n"
    assert result.stdout == (
        SERVER_LINES
        + f"Name:\tweb.shop.svc.cluster.local\nAddress: {WEB_IP}\n\n"
        + nx.format("svc.cluster.local")
        + nx.format("cluster.local")
        + "\n"  # the AAAA question: NODATA, an empty line
        + nx.format("svc.cluster.local")
        + nx.format("cluster.local")
    )
    assert result.exit_code == 1  # BusyBox: any rcode != 0 sets EXIT_FAILURE


def test_nslookup_fqdn_headless_per_pod_and_dotted_names():
    expect(
        run("nslookup web.shop.svc.cluster.local"),
        SERVER_LINES + f"Name:\tweb.shop.svc.cluster.local\nAddress: {WEB_IP}\n\n\n",
        "",
        0,
    )
    headless = run("nslookup db.data.svc.cluster.local").stdout
    assert "Address: 10.244.2.10\n" in headless and "Address: 10.244.2.11\n" in headless
    assert "Address: 10.244.2.10\n" in run("nslookup db-0.db.data.svc.cluster.local").stdout
    # a dotted name is asked as is, without the search path: `web.shop` is NXDOMAIN
    expect(
        run("nslookup web.shop"),
        SERVER_LINES + "** server can't find web.shop: NXDOMAIN\n\n" * 2,
        "",
        1,
    )


def test_nslookup_externalname_is_a_cname():
    result = run("nslookup partner.shop.svc.cluster.local")
    assert result.stdout.startswith(
        SERVER_LINES + "partner.shop.svc.cluster.local\tcanonical name = api.example.com\n"
    )


def test_nslookup_when_egress_blocks_dns():
    expect(
        run("nslookup web.shop", pod="other/client"),
        ";; connection timed out; no servers could be reached\n\n",
        "",
        1,
    )


def test_getent_and_host():
    # glibc getent print_hosts: "%-15s %s" then the aliases
    expect(run("getent hosts web"), f"{WEB_IP:<15} web.shop.svc.cluster.local\n", "", 0)
    expect(run("getent hosts nope"), "", "", 2)
    expect(run("getent hosts frontend"), "10.244.1.10     frontend\n", "", 0)  # /etc/hosts
    expect(
        run("getent hosts partner"),
        "203.0.113.9     api.example.com partner.shop.svc.cluster.local\n",
        "",
        0,
    )
    expect(run("host web"), f"web.shop.svc.cluster.local has address {WEB_IP}\n", "", 0)
    expect(run("host nope"), "Host nope not found: 3(NXDOMAIN)\n", "", 1)


def test_dns_blocked_by_egress_policy_means_no_name_resolves():
    result = run("wget -qO- -T 2 web.shop", pod="other/client")
    expect(result, "", "wget: bad address 'web.shop'\n", 1)
    assert "UDP port 53" in result.note
    # with -m shorter than the resolver's timeouts curl gives up while resolving
    expect(
        run("curl -m 2 web.shop", pod="other/client"),
        "",
        "curl: (28) Resolving timed out after 2001 milliseconds\n",
        28,
    )
    # an address needs no DNS: the connection itself is what the egress policy drops
    expect(run(f"wget -qO- -T 2 {WEB_IP}", pod="other/client"), "", "wget: download timed out\n", 1)


def test_connections_outside_the_model_are_not_invented():
    for command in ("wget -qO- partner", "wget -qO- search", "curl -s www.example.org"):
        result = run(command)
        assert result.exit_code == NOT_ANSWERED, command
        assert result.stdout == ""
        assert result.stderr.startswith("k8slearn practice cluster: ")
    assert "api.example.com (203.0.113.9)" in run("wget -qO- partner").stderr
    assert "CNAME for www.google.com" in run("wget -qO- search").stderr


def test_named_target_port_and_pod_addresses():
    reach = WORLD.reach_service("shop/frontend", "shop/web", 80)
    assert [(b.key, p) for b, p, _ in reach.backends] == [
        ("shop/web-1", 8080),
        ("shop/web-2", 8081),
    ]
    expect(run("wget -qO- -T 2 10.244.1.12:8081"), "web-2", "", 0)
    # the policy allows port `http` only: another port on the pod is dropped, not refused
    expect(run("wget -qO- -T 2 10.244.1.12:8080"), "", "wget: download timed out\n", 1)
    # no policy isolates db-0: a port nothing listens on is refused by its kernel
    expect(
        run("wget -qO- -T 2 10.244.2.10:5433"),
        "",
        "wget: can't connect to remote host (10.244.2.10): Connection refused\n",
        1,
    )
    expect(run("wget -qO- -T 2 db-1.db.data:5432"), "db-1", "", 0)


# --------------------------------------------------------------------------- shell, others


def test_sh_c_runs_and_or_lists_with_dev_null():
    script = "wget -qO- -T 2 api:9000 >/dev/null 2>&1 && echo OK || echo FAIL"
    result = run_in_pod(WORLD, "shop", "frontend", ["sh", "-c", script])
    expect(result, "FAIL\n", "", 0)
    ok = run_in_pod(WORLD, "shop", "frontend", ["/bin/sh", "-c", "wget -qO- web && echo; echo OK"])
    expect(ok, "web-1\nOK\n", "", 0)


def test_unsupported_commands_and_scripts_say_so_with_126():
    for argv in (
        ["cat", "/etc/resolv.conf"],
        ["env"],
        ["ping", "-c1", "web"],
        ["sh"],
        ["sh", "-c", "wget -qO- web | grep web"],
        ["sh", "-c", "echo $HOSTNAME"],
    ):
        result = run_in_pod(WORLD, "shop", "frontend", argv)
        assert result.exit_code == NOT_ANSWERED, argv
        assert result.stderr.startswith("k8slearn practice cluster: "), argv
    assert "wget, curl, nc" in run("ls").stderr
    assert "ICMP is not modelled" in run("ping -c1 web").stderr


def test_unknown_pod():
    expect(
        run("wget web", pod="shop/ghost"),
        "",
        'Error from server (NotFound): pods "ghost" not found\n',
        1,
    )


def test_new_pod_is_judged_by_its_labels_and_namespace():
    tmp = run_in_new_pod(WORLD, "shop", {"run": "tmp"}, ["wget", "-qO-", "-T", "2", "web"])
    expect(tmp, "", "wget: download timed out\n", 1)
    like_frontend = run_in_new_pod(WORLD, "shop", {"app": "frontend"}, ["wget", "-qO-", "web"])
    expect(like_frontend, "web-1", "", 0)
    elsewhere = run_in_new_pod(WORLD, "other", {"run": "tmp"}, ["nslookup", "web.shop"])
    assert elsewhere.stdout.startswith(";; connection timed out")
    missing = run_in_new_pod(WORLD, "nowhere", {"run": "tmp"}, ["wget", "web"])
    assert missing.stderr == 'Error from server (NotFound): namespaces "nowhere" not found\n'
    assert WORLD.scenario.pod("shop/tmp") is None  # the world itself is left alone


# --------------------------------------------------------------------------- agreement with World

SOURCES = [p.key for p in WORLD.scenario.pods if p.namespace != "kube-system"]
SERVICES = ["shop/web", "shop/api", "shop/broken", "data/db"]
PORTS = [80, 81, 5432, 8080, 8081, 9000]
TOOLS = {
    "wget": ("wget -qO- -T 2 http://{host}:{port}", "web"),
    "curl": ("curl -s -m 2 http://{host}:{port}", "curl"),
    "nc": ("nc -z -w 2 {host} {port}", "nc"),
}


def _dns_ok(src: str) -> bool:
    return WORLD.explain(src, "kube-system/coredns-1", 53, "UDP").allowed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    src=st.sampled_from(SOURCES),
    service=st.sampled_from(SERVICES),
    port=st.sampled_from(PORTS),
    tool=st.sampled_from(sorted(TOOLS)),
    form=st.sampled_from(["short", "ns", "svc", "fqdn", "ip"]),
)
def test_service_connections_agree_with_reach_service(src, service, port, tool, form):
    namespace, name = service.split("/")
    svc = WORLD.services.get(service)
    if form == "ip" and svc.headless:
        form = "fqdn"
    host = {
        "short": name,
        "ns": f"{name}.{namespace}",
        "svc": f"{name}.{namespace}.svc",
        "fqdn": f"{name}.{namespace}.svc.cluster.local",
        "ip": WORLD.services.cluster_ip(svc),
    }[form]
    src_ns, src_name = src.split("/")
    command = TOOLS[tool][0].format(host=host, port=port)
    result = run_in_pod(WORLD, src_ns, src_name, command.split())

    reach = WORLD.reach_service(src, service, port)
    resolves = form == "ip" or (
        _dns_ok(src)
        # the search path of the source's namespace finds the short name only at home
        and (form != "short" or src_ns == namespace)
    )
    succeeded = result.exit_code == 0
    assert succeeded == (resolves and reach.allowed), (command, src, result)
    if succeeded:
        assert result.backend in reach.answered()
        if tool != "nc":
            assert result.stdout == WORLD.scenario.pod(result.backend).name
    else:
        assert result.backend is None
        assert result.exit_code != NOT_ANSWERED


@settings(max_examples=100, deadline=None)
@given(
    src=st.sampled_from(SOURCES),
    dst=st.sampled_from([p for p in WORLD.scenario.pods if p.namespace != "kube-system"]),
    port=st.sampled_from(PORTS),
)
def test_pod_address_connections_agree_with_the_truth_table(src, dst, port):
    src_ns, src_name = src.split("/")
    result = run_in_pod(WORLD, src_ns, src_name, ["wget", "-qO-", "-T", "2", f"{dst.ip}:{port}"])
    allowed = WORLD.table([(port, "TCP")]).allowed(src, dst.key, port, "TCP")
    listening = not dst.ports or any(cp.port == port for cp in dst.ports)
    if allowed and listening:
        expect(result, dst.name, "", 0)
        assert result.backend == dst.key
    elif allowed:
        assert result.stderr.endswith("Connection refused\n") and result.exit_code == 1
    else:
        expect(result, "", "wget: download timed out\n", 1)


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_every_tool_reports_the_same_verdict(tool):
    template = TOOLS[tool][0]
    verdicts = {
        target: run(template.format(host=target, port=port)).exit_code == 0
        for target, port in [("web", 80), ("api", 9000), ("broken", 80), ("nope", 80)]
    }
    assert verdicts == {"web": True, "api": False, "broken": False, "nope": False}


WORDS = [
    "wget",
    "curl",
    "nc",
    "nslookup",
    "getent",
    "host",
    "ping",
    "echo",
    "sh",
    "-c",
    "-q",
    "-O",
    "-O-",
    "-qO-",
    "-T",
    "2",
    "--timeout=2",
    "--timeout",
    "--spider",
    "-s",
    "-S",
    "-v",
    "-vv",
    "-m",
    "-w",
    "%{http_code}",
    "%{bogus}",
    "-o",
    "/dev/null",
    "-z",
    "-zv",
    "-u",
    "-type=a",
    "-type=mx",
    "-type=bogus",
    "hosts",
    "passwd",
    "web",
    "web:80",
    "web:0",
    "web:99999",
    "web:abc",
    "http://web/",
    "https://web",
    "ftp://web",
    "nope",
    "db.data",
    "10.96.0.1",
    "10.244.1.11",
    "::1",
    "localhost",
    "1.2.3.4",
    ":80",
    "http://",
    "-",
    "--",
    "&&",
    "||",
    ";",
    "2>&1",
    ">/dev/null",
    "$X",
    "|",
    "'",
    '"',
    "-I",
    "-L",
    "-X",
    "POST",
    "partner",
    "search",
    "kubernetes.default",
    "80",
    "5432",
    "-e",
    "-l",
    "-debug",
    "10.96.0.10",
    "--connect-timeout",
    "0",
    "-1",
    "2.5",
    "exit",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    words=st.lists(st.sampled_from(WORDS), max_size=7),
    src=st.sampled_from([*SOURCES, "shop/ghost"]),
    as_script=st.booleans(),
)
def test_any_command_line_gets_an_answer_never_a_traceback(words, src, as_script):
    argv = ["sh", "-c", " ".join(words)] if as_script else words
    namespace, name = src.split("/")
    result = run_in_pod(WORLD, namespace, name, argv)
    assert isinstance(result.exit_code, int)
    assert "Traceback" not in result.stderr
    if result.exit_code == NOT_ANSWERED:
        assert result.stderr.startswith("k8slearn practice cluster: ")


def test_the_clusters_own_services_resolve_but_are_not_run():
    # every cluster has kubernetes.default (10.96.0.1); the exercise need not declare it
    expect(
        run("getent hosts kubernetes.default"),
        "10.96.0.1       kubernetes.default.svc.cluster.local\n",
        "",
        0,
    )
    # BusyBox nslookup asks a dotted name as is: the well-known `kubernetes.default` failure
    assert (
        "** server can't find kubernetes.default: NXDOMAIN"
        in run("nslookup kubernetes.default").stdout
    )
    assert run("nc -zv -w 2 kubernetes.default 443").exit_code == NOT_ANSWERED
