"""DNS lookups for verify: names, the model's expected answers in symbols, and reading dig.

The dig outputs below are real: BIND dig 9.18 (the major version in the agnhost
image) asked a small loopback DNS server that answers the way CoreDNS's
kubernetes plugin does — authoritative, no recursion, NXDOMAIN with the zone's
SOA, a CNAME for an ExternalName (chased only inside the cluster domain) — with
`dig +time=2 +tries=2 +nocmd +noall +comments +question +answer NAME. TYPE …`,
verify's own command; only the server's address was changed to the cluster
DNS Service's.
"""

from __future__ import annotations

import pytest

from k8slearn.cluster.lookups import (
    DIG_OPTIONS,
    DigUnclear,
    dig_argv,
    is_absolute,
    parse_dig,
    queries_for,
    read_answer,
    shown,
    wanted_values,
)

# -- real dig output -----------------------------------------------------------------------

MULTIPLE_A = """\
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 46998
;; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;db.data.svc.cluster.local.\tIN\tA

;; ANSWER SECTION:
db.data.svc.cluster.local. 30\tIN\tA\t10.244.0.12
db.data.svc.cluster.local. 30\tIN\tA\t10.244.0.13

"""

CNAME_QUESTION = """\
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 14090
;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;billing-db.shop.svc.cluster.local. IN\tCNAME

;; ANSWER SECTION:
billing-db.shop.svc.cluster.local. 30 IN CNAME\tdb.billing.example.com.

"""

ALIAS_ASKED_FOR_A = """\
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 34341
;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;billing-db.shop.svc.cluster.local. IN\tA

;; ANSWER SECTION:
billing-db.shop.svc.cluster.local. 30 IN CNAME\tdb.billing.example.com.

"""

CNAME_CHAIN = """\
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 55478
;; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;search.shop.svc.cluster.local.\tIN\tA

;; ANSWER SECTION:
search.shop.svc.cluster.local. 30 IN\tCNAME\tsearch.platform.svc.cluster.local.
search.platform.svc.cluster.local. 30 IN A\t10.96.0.50

"""

NXDOMAIN = """\
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 55263
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;db-2.db.data.svc.cluster.local.\tIN\tA

"""

NODATA = """\
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 50147
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;data.svc.cluster.local.\t\tIN\tA

"""

SERVFAIL = """\
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: SERVFAIL, id: 16304
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;broken.data.svc.cluster.local.\tIN\tA

"""

SEARCH_FIRST_HIT = """\
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 39883
;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;db-0.db.data.svc.cluster.local.\tIN\tA

;; ANSWER SECTION:
db-0.db.data.svc.cluster.local.\t30 IN\tA\t10.244.0.12

;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 59625
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;db-0.db.svc.cluster.local.\tIN\tA

;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 38440
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;db-0.db.cluster.local.\t\tIN\tA

"""

SEARCH_NO_HIT = """\
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 11900
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;db-2.db.data.svc.cluster.local.\tIN\tA

;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 35958
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;db-2.db.svc.cluster.local.\tIN\tA

;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 8987
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;db-2.db.cluster.local.\t\tIN\tA

"""

SEARCH_SECOND_HIT = """\
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 26374
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;web.svc.cluster.local.\t\tIN\tA

;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 61366
;; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;web.frontend.svc.cluster.local.\tIN\tA

;; ANSWER SECTION:
web.frontend.svc.cluster.local.\t30 IN\tA\t10.96.0.17

"""

TIMED_OUT = """\
;; communications error to 10.96.0.10#53: timed out
;; no servers could be reached
"""

FULL_OUTPUT = """\

; <<>> DiG 9.18.49 <<>> search.shop.svc.cluster.local. A
; (1 server found)
;; global options: +cmd
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 32197
;; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;search.shop.svc.cluster.local.\tIN\tA

;; ANSWER SECTION:
search.shop.svc.cluster.local. 30 IN\tCNAME\tsearch.platform.svc.cluster.local.
search.platform.svc.cluster.local. 30 IN A\t10.96.0.50

;; Query time: 0 msec
;; SERVER: 10.96.0.10#53(10.96.0.10) (UDP)
;; WHEN: Wed Dec 02 07:59:20 UTC 2026
;; MSG SIZE  rcvd: 183

"""

FULL_NXDOMAIN = """\

; <<>> DiG 9.18.49 <<>> nope.shop.svc.cluster.local. A
; (1 server found)
;; global options: +cmd
;; Got answer:
;; WARNING: .local is reserved for Multicast DNS
;; You are currently testing what happens when an mDNS query is leaked to DNS
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 55165
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1
;; WARNING: recursion requested but not available

;; OPT PSEUDOSECTION:
; EDNS: version: 0, flags:; udp: 1232
;; QUESTION SECTION:
;nope.shop.svc.cluster.local.\tIN\tA

;; AUTHORITY SECTION:
cluster.local.\t\t30\tIN\tSOA\tns.dns.cluster.local. hostmaster.cluster.local. 1718000000 7200 1800 86400 30

;; Query time: 0 msec
;; SERVER: 10.96.0.10#53(10.96.0.10) (UDP)
;; WHEN: Wed Dec 02 07:59:20 UTC 2026
;; MSG SIZE  rcvd: 149

"""


# -- names -----------------------------------------------------------------------------------


def test_names_in_the_cluster_domain_are_asked_as_they_are():
    assert is_absolute("db.data.svc.cluster.local")
    assert is_absolute("db.data.svc.cluster.local.")
    assert is_absolute("db-0.db.")  # a trailing dot: no search path
    assert is_absolute("a.b.c.d.e.f")  # five dots: ndots:5 takes it as is
    assert not is_absolute("db-0.db")
    assert not is_absolute("db-1.db.data")
    assert queries_for("DB.Data.svc.cluster.local", "staging") == ("db.data.svc.cluster.local.",)


def test_short_names_follow_the_asking_namespaces_search_path_inside_the_cluster_only():
    assert queries_for("db-0.db", "data") == (
        "db-0.db.data.svc.cluster.local.",
        "db-0.db.svc.cluster.local.",
        "db-0.db.cluster.local.",
    )
    # never the bare name, which would go to the node's resolvers outside the cluster
    assert "db-0.db." not in queries_for("db-0.db", "data")


def test_dig_asks_every_candidate_in_one_call_as_an_absolute_name():
    argv = dig_argv(["db-0.db.data.svc.cluster.local.", "db-0.db.svc.cluster.local"], "A")
    assert argv[0] == "dig"
    assert argv[1 : 1 + len(DIG_OPTIONS)] == list(DIG_OPTIONS)
    assert "+noall" in argv and "+answer" in argv and "+comments" in argv
    assert argv[1 + len(DIG_OPTIONS) :] == [
        "db-0.db.data.svc.cluster.local.",
        "A",
        "db-0.db.svc.cluster.local.",
        "A",
    ]
    assert not any(a.startswith("+search") for a in argv)


def test_an_exercises_resolves_to_becomes_symbols():
    pods = {"data/db-0", "data/db-1"}
    assert wanted_values(["data/db-1", "data/db-0"], pods) == ("pod:data/db-0", "pod:data/db-1")
    assert wanted_values(["10.20.0.15"], pods) == ("10.20.0.15",)
    assert wanted_values(["DB.Billing.example.com."], pods) == ("CNAME db.billing.example.com",)
    assert wanted_values([], pods) == ()


def test_values_are_shown_by_whose_they_are():
    assert shown(()) == "no such name"
    assert (
        shown(("pod:data/db-0", "clusterip:shop/web")) == "data/db-0, the ClusterIP of svc:shop/web"
    )
    assert shown(("10.244.0.12",), {"10.244.0.12": "data/db-0"}) == "data/db-0 (10.244.0.12)"


# -- reading dig -------------------------------------------------------------------------------


def test_multiple_a_records():
    (reply,) = parse_dig(MULTIPLE_A)
    assert reply.question == "db.data.svc.cluster.local." and reply.qtype == "A"
    assert reply.status == "NOERROR"
    assert [a[2] for a in reply.answers] == ["10.244.0.12", "10.244.0.13"]
    assert read_answer(MULTIPLE_A, ["db.data.svc.cluster.local."], "A") == (
        "10.244.0.12",
        "10.244.0.13",
    )


def test_a_cname_question_answers_with_the_alias():
    assert read_answer(CNAME_QUESTION, ["billing-db.shop.svc.cluster.local."], "CNAME") == (
        "CNAME db.billing.example.com",
    )


def test_an_alias_asked_for_a_keeps_its_cname_even_when_the_target_does_not_resolve():
    # CoreDNS could not find db.billing.example.com upstream: the CNAME comes alone
    assert read_answer(ALIAS_ASKED_FOR_A, ["billing-db.shop.svc.cluster.local."], "A") == (
        "CNAME db.billing.example.com",
    )


def test_a_cname_chain_counts_only_the_records_of_the_name_asked():
    (reply,) = parse_dig(CNAME_CHAIN)
    assert reply.answers == (
        ("search.shop.svc.cluster.local.", "CNAME", "search.platform.svc.cluster.local."),
        ("search.platform.svc.cluster.local.", "A", "10.96.0.50"),
    )
    # the target's address is the target's, not the alias's
    assert read_answer(CNAME_CHAIN, ["search.shop.svc.cluster.local."], "A") == (
        "CNAME search.platform.svc.cluster.local",
    )


def test_nxdomain_and_nodata_are_no_such_name():
    assert parse_dig(NXDOMAIN)[0].status == "NXDOMAIN"
    assert read_answer(NXDOMAIN, ["db-2.db.data.svc.cluster.local."], "A") == ()
    assert parse_dig(NODATA)[0].status == "NOERROR"
    assert read_answer(NODATA, ["data.svc.cluster.local."], "A") == ()


def test_a_server_failure_settles_nothing():
    with pytest.raises(DigUnclear, match="SERVFAIL"):
        read_answer(SERVFAIL, ["broken.data.svc.cluster.local."], "A")


def test_no_reply_settles_nothing_and_says_why():
    assert parse_dig(TIMED_OUT) == []
    with pytest.raises(DigUnclear) as caught:
        read_answer(TIMED_OUT, ["db.data.svc.cluster.local."], "A", exit_code=9)
    message = str(caught.value)
    assert "db.data.svc.cluster.local." in message
    assert "exited 9" in message and "timed out" in message


def test_the_first_candidate_with_records_answers():
    queries = queries_for("db-0.db", "data")
    replies = parse_dig(SEARCH_FIRST_HIT)
    assert [r.question for r in replies] == list(queries)
    assert [r.status for r in replies] == ["NOERROR", "NXDOMAIN", "NXDOMAIN"]
    assert read_answer(SEARCH_FIRST_HIT, queries, "A") == ("10.244.0.12",)
    # an NXDOMAIN first is skipped, as a pod's resolver skips it
    assert read_answer(
        SEARCH_SECOND_HIT, ["web.svc.cluster.local.", "web.frontend.svc.cluster.local."], "A"
    ) == ("10.96.0.17",)


def test_no_candidate_with_records_is_no_such_name():
    assert read_answer(SEARCH_NO_HIT, queries_for("db-2.db", "data"), "A") == ()


def test_a_candidate_without_a_reply_before_the_answer_settles_nothing():
    # the second question timed out: whether it exists is unknown, so the third cannot answer
    queries = queries_for("db-2.db", "data")
    first = SEARCH_NO_HIT.split(";; Got answer:")[1]
    output = ";; Got answer:" + first + TIMED_OUT
    with pytest.raises(DigUnclear, match=r"db-2\.db\.svc\.cluster\.local"):
        read_answer(output, queries, "A", exit_code=9)


def test_the_full_default_output_reads_the_same():
    assert read_answer(FULL_OUTPUT, ["search.shop.svc.cluster.local."], "A") == (
        "CNAME search.platform.svc.cluster.local",
    )
    # the SOA of an NXDOMAIN's authority section is no answer
    (reply,) = parse_dig(FULL_NXDOMAIN)
    assert reply.status == "NXDOMAIN" and reply.answers == ()
    assert read_answer(FULL_NXDOMAIN, ["nope.shop.svc.cluster.local."], "A") == ()


def test_questions_are_matched_by_name_and_type_whatever_the_case():
    upper = MULTIPLE_A.replace("db.data.svc.cluster.local.", "DB.Data.svc.cluster.local.")
    assert read_answer(upper, ["db.data.svc.cluster.local"], "A") == ("10.244.0.12", "10.244.0.13")
    with pytest.raises(DigUnclear):  # an answer to another type is no answer to this one
        read_answer(MULTIPLE_A, ["db.data.svc.cluster.local."], "CNAME")


def test_noise_is_never_read_as_a_reply():
    assert parse_dig("") == []
    assert parse_dig('OCI runtime exec failed: exec: "dig": executable file not found') == []
    assert parse_dig("db.data.svc.cluster.local. 30 IN A 10.244.0.12\n") == []  # no header
