"""Endpoints written by hand: EndpointSlices and Endpoints for Services without a selector.

A Service with a selector gets its endpoints from the EndpointSlice controller
(`services.ServiceIndex.endpoints`). A Service *without* one gets none from
it; its endpoints are whatever EndpointSlices carry the label
`kubernetes.io/service-name: <service>` in its namespace — written by hand, or
mirrored from an `Endpoints` object of the Service's name by the
EndpointSlice mirroring controller. The rules modelled are kube-proxy's and
the mirroring controller's:

* a slice without the `kubernetes.io/service-name` label belongs to no Service;
  kube-proxy programs IPv4 and IPv6 slices only (not FQDN), and only the first
  address of each endpoint;
* an endpoint whose `conditions.ready` is false gets no traffic (left out, it
  counts as ready);
* a Service port reaches the slice port with the same name and protocol, on that
  port's number (the Service's `targetPort` is not used); an unnamed Service port
  matches the unnamed slice port;
* an `Endpoints` object is mirrored only when a Service of the same name exists
  in its namespace, has no selector, and the Endpoints is not labelled
  `endpointslice.kubernetes.io/skip-mirror: "true"`; its `addresses` are ready,
  its `notReadyAddresses` are not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror"


@dataclass(frozen=True, slots=True)
class SliceEndpoint:
    address: str
    ready: bool
    hostname: str | None = None


@dataclass(frozen=True, slots=True)
class SlicePort:
    name: str
    port: int | None  # None: every port
    protocol: str


@dataclass(frozen=True, slots=True)
class EndpointSource:
    """One EndpointSlice (written or mirrored): addresses and ports for one Service."""

    namespace: str
    service: str
    address_type: str
    endpoints: tuple[SliceEndpoint, ...]
    ports: tuple[SlicePort, ...]
    origin: str  # "EndpointSlice x/y" or "Endpoints x/y", for explanations

    def port(self, name: str | None, protocol: str) -> SlicePort | None:
        """The slice port a Service port named `name` (or unnamed) reaches."""
        return next(
            (p for p in self.ports if p.name == (name or "") and p.protocol == protocol), None
        )


def endpoint_sources(
    objects: Iterable[tuple[str, Mapping[str, Any]]], selectorless: set[tuple[str, str]]
) -> list[EndpointSource]:
    """Sources from validated (kind, object) pairs; `selectorless` is (namespace, name) of
    every Service without a selector, the only ones an Endpoints object is mirrored for."""
    out = []
    for kind, obj in objects:
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        labels = meta.get("labels") or {}
        if kind == "EndpointSlice":
            service = labels.get(SERVICE_NAME_LABEL)
            if not service:
                continue
            out.append(
                EndpointSource(
                    namespace,
                    service,
                    obj.get("addressType") or "",
                    tuple(
                        SliceEndpoint(
                            str((e.get("addresses") or [""])[0]),
                            (e.get("conditions") or {}).get("ready") is not False,
                            e.get("hostname"),
                        )
                        for e in obj.get("endpoints") or []
                    ),
                    tuple(_port(p) for p in obj.get("ports") or []),
                    f"EndpointSlice {namespace}/{meta.get('name')}",
                )
            )
        elif kind == "Endpoints":
            name = meta.get("name")
            if (namespace, name) not in selectorless or labels.get(SKIP_MIRROR_LABEL) == "true":
                continue
            for subset in obj.get("subsets") or []:
                endpoints = [
                    SliceEndpoint(str(a.get("ip")), ready, a.get("hostname"))
                    for key, ready in (("addresses", True), ("notReadyAddresses", False))
                    for a in subset.get(key) or []
                ]
                family = "IPv6" if any(":" in e.address for e in endpoints) else "IPv4"
                out.append(
                    EndpointSource(
                        namespace,
                        name,
                        family,
                        tuple(endpoints),
                        tuple(_port(p) for p in subset.get("ports") or []),
                        f"Endpoints {namespace}/{name}",
                    )
                )
    return out


def _port(raw: Mapping[str, Any]) -> SlicePort:
    return SlicePort(raw.get("name") or "", raw.get("port"), raw.get("protocol") or "TCP")
