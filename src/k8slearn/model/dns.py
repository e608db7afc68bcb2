"""What cluster DNS answers for a name: a Service, a pod's own name, an alias.

The records, as the Kubernetes DNS specification and CoreDNS's kubernetes
plugin define them (cluster domain `cluster.local`):

* `<svc>.<ns>.svc.cluster.local` — the ClusterIP; for a headless Service the IPs
  of its ready endpoints (not-ready ones too with `publishNotReadyAddresses`);
  for an ExternalName Service a CNAME to its external name;
* `<hostname>.<svc>.<ns>.svc.cluster.local` — the IP of a pod whose `hostname`
  and `subdomain` are `<hostname>` and `<svc>`, when the headless Service `<svc>`
  of its namespace selects it and it is ready (or the Service publishes
  not-ready addresses) — a StatefulSet's pods get both fields — and the ready
  endpoint with that hostname in EndpointSlices written for the Service.

A pod's resolver completes short names with its search path
(`<ns>.svc.cluster.local`, `svc.cluster.local`, `cluster.local`), so from a pod of
namespace `data`, `db` and `db-0.db` find the names above.
"""

from __future__ import annotations

from k8slearn.model.services import CLUSTER_DOMAIN, DnsAnswer, Service, ServiceIndex

SUFFIX = f".svc.{CLUSTER_DOMAIN}"


def resolve(index: ServiceIndex, name: str, from_namespace: str = "default") -> DnsAnswer | None:
    """The answer for `name` asked by a pod of `from_namespace`; None when no record exists."""
    name = name.strip().lower()
    absolute = name.endswith(".")
    name = name.rstrip(".")
    candidates = [] if absolute or name.count(".") >= 5 else search_path(name, from_namespace)
    for fqdn in [*candidates, name]:
        found = _record(index, fqdn)
        if found is not None:
            return found
    return None


def search_path(name: str, namespace: str) -> list[str]:
    """The names a pod's resolver tries for a short `name` (ndots:5), in order."""
    return [f"{name}.{namespace}{SUFFIX}", f"{name}{SUFFIX}", f"{name}.{CLUSTER_DOMAIN}"]


def _record(index: ServiceIndex, fqdn: str) -> DnsAnswer | None:
    if not fqdn.endswith(SUFFIX):
        return None
    parts = fqdn[: -len(SUFFIX)].split(".")
    if len(parts) == 2:
        svc = index.get(f"{parts[1]}/{parts[0]}")
        return index.dns(svc) if svc is not None else None
    if len(parts) == 3:
        hostname, service, namespace = parts
        svc = index.get(f"{namespace}/{service}")
        if svc is None or not svc.headless:
            return None
        ips = pod_addresses(index, svc, hostname)
        return DnsAnswer(fqdn, "A", tuple(ips)) if ips else None
    return None


def pod_addresses(index: ServiceIndex, svc: Service, hostname: str) -> list[str]:
    """The addresses of `<hostname>.<svc>`: the selected pods whose hostname and subdomain
    say so, then the ready endpoints of the Service's own slices that carry that hostname.

    Cluster DNS reads only an endpoint's `ready` condition; publishNotReadyAddresses acts
    through the EndpointSlice controller, which marks every selected pod ready.
    """
    out = []
    if svc.selector is not None:
        out += [
            p.ip
            for p in index.selected_pods(svc)
            if p.hostname == hostname
            and p.subdomain == svc.name
            and (p.ready or svc.publish_not_ready)
        ]
    for source in index.slices(svc):
        for e in source.endpoints:
            if e.hostname == hostname and e.ready and e.address not in out:
                out.append(e.address)
    return out
