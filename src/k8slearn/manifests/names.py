"""The small string formats Kubernetes checks everywhere: DNS names, port names, labels, IPs.

Each rule follows apimachinery's `pkg/util/validation` (names, ports) and
`pkg/api/validate/content` (label keys and values), and for IPs and CIDRs the
strict rules the API server applies since v1.36 (the `StrictIPCIDRValidation`
gate, KEP-4858). They live here, apart from the API rules, so the scenario
loader and the lints can reuse them.
"""

from __future__ import annotations

import ipaddress
import re

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DNS_LABEL_MAX = 63
DNS_SUBDOMAIN_MAX = 253
LABEL_VALUE_MAX = 63
IANA_SVC_NAME_MAX = 15

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
# The name part of a label key, and a non-empty label value, share one shape.
_LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_CIDR_SHAPE = re.compile(r"[0-9A-Fa-f:.]+/[0-9]+")
_IP_SHAPE = re.compile(r"[0-9A-Fa-f:.]+")


def is_dns1123_label(value: str) -> bool:
    """A DNS label (RFC 1123): names of Namespaces, Service ports, and (since v1.36) Services."""
    return len(value) <= DNS_LABEL_MAX and _DNS1123_LABEL.fullmatch(value) is not None


def is_dns1035_label(value: str) -> bool:
    """Like a DNS-1123 label but starting with a letter: Service names before v1.36."""
    return len(value) <= DNS_LABEL_MAX and _DNS1035_LABEL.fullmatch(value) is not None


def is_dns1123_subdomain(value: str) -> bool:
    """Dot-separated DNS labels, at most 253 characters: names of most objects."""
    return len(value) <= DNS_SUBDOMAIN_MAX and _DNS1123_SUBDOMAIN.fullmatch(value) is not None


def suggest_dns_name(value: str, *, dots: bool = False) -> str:
    """A lowercase DNS-style name close to `value` (for a "did you mean"), or "" if none."""
    allowed = "a-z0-9.-" if dots else "a-z0-9-"
    name = re.sub(f"[^{allowed}]+", "-", value.lower())
    name = re.sub(r"-{2,}", "-", name).strip("-.")
    return name[: DNS_SUBDOMAIN_MAX if dots else DNS_LABEL_MAX].rstrip("-.")


def iana_svc_name_errors(value: str) -> list[str]:
    """Why `value` is not a named port (IANA_SVC_NAME, RFC 6335); empty when it is one."""
    errors = []
    if len(value) > IANA_SVC_NAME_MAX:
        errors.append(f"must be at most {IANA_SVC_NAME_MAX} characters")
    if not re.fullmatch(r"[-a-z0-9]+", value):
        errors.append("may contain only lowercase letters, digits and '-'")
    if not re.search(r"[a-z]", value):
        errors.append("must contain at least one letter")
    if "--" in value:
        errors.append("must not contain '--'")
    if value.startswith("-") or value.endswith("-"):
        errors.append("must not begin or end with '-'")
    return errors


def is_iana_svc_name(value: str) -> bool:
    """A port name such as `http` or `metrics-tls`, usable where a port number is."""
    return not iana_svc_name_errors(value)


def qualified_name_errors(value: str) -> list[str]:
    """Why `value` is not a label key ("qualified name"); empty when it is one.

    A qualified name is `[prefix/]name`: the optional prefix a DNS subdomain,
    the name at most 63 letters, digits, '-', '_' or '.', starting and ending
    with a letter or digit.
    """
    parts = value.split("/")
    if len(parts) > 2:
        return ["may contain at most one '/' (between the optional prefix and the name)"]
    errors = []
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errors.append("the prefix before '/' must not be empty")
        elif not is_dns1123_subdomain(prefix):
            errors.append(
                "the prefix before '/' must be a lowercase DNS subdomain such as example.com"
            )
    if not name:
        errors.append("the name must not be empty")
    elif len(name) > DNS_LABEL_MAX:
        errors.append(f"the name must be at most {DNS_LABEL_MAX} characters")
    elif not _LABEL_NAME.fullmatch(name):
        errors.append(
            "the name may contain only letters, digits, '-', '_' and '.', "
            "and must start and end with a letter or digit"
        )
    return errors


def is_qualified_name(value: str) -> bool:
    """A label or annotation key such as `app` or `app.kubernetes.io/name`."""
    return not qualified_name_errors(value)


def is_label_value(value: str) -> bool:
    """A label value: empty, or up to 63 letters, digits, '-', '_', '.' with alphanumeric ends."""
    return len(value) <= LABEL_VALUE_MAX and (
        value == "" or _LABEL_NAME.fullmatch(value) is not None
    )


def _has_leading_zero(text: str) -> bool:
    """True for IPv4 octets or a prefix length written with a leading 0 (e.g. 010, /08)."""
    return any(len(part) > 1 and part.startswith("0") for part in re.split(r"[./]", text))


def parse_ip(value: str) -> IPAddress:
    """Parse an IP address as the API server does for new values; ValueError says why not.

    Accepted: plain IPv4 or IPv6. Refused, besides garbage: IPv4 octets with
    leading zeros (other tools read them as octal), IPv4-mapped IPv6
    (`::ffff:1.2.3.4`), zone suffixes (`%eth0`), and IPv6 not written in its
    canonical short lowercase form.
    """
    if not _IP_SHAPE.fullmatch(value):
        raise ValueError("must be a valid IP address, such as 10.96.0.10 or 2001:db8::10")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        if ":" not in value and _has_leading_zero(value):
            raise ValueError("must not have leading zeros in an IPv4 address") from None
        raise ValueError("must be a valid IP address, such as 10.96.0.10 or 2001:db8::10") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise ValueError(f"must not be an IPv4-mapped IPv6 address (write {address.ipv4_mapped})")
    if str(address) != value:
        raise ValueError(f"must be written in canonical form ({address})")
    return address


def parse_cidr(value: str, *, canonical: bool = False) -> IPNetwork:
    """Parse a CIDR such as 10.0.0.0/16 the way the API server does; ValueError says why not.

    Since v1.36 the API server refuses a CIDR with bits set after the prefix
    (`10.0.0.1/24`: did you mean 10.0.0.0/24 or 10.0.0.1/32?), leading zeros,
    and IPv4-mapped IPv6. `canonical` also refuses IPv6 not written in its
    canonical lowercase short form, as newer fields (loadBalancerSourceRanges) do.
    """
    if not _CIDR_SHAPE.fullmatch(value):
        raise ValueError("must be a valid CIDR such as 10.0.0.0/16 or 2001:db8::/64")
    address, _, prefix = value.partition("/")
    zero_prefix = len(prefix) > 1 and prefix.startswith("0")
    if zero_prefix or (":" not in address and _has_leading_zero(address)):
        raise ValueError("must not have leading zeros in the IP or the prefix length")
    try:
        loose = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError("must be a valid CIDR such as 10.0.0.0/16 or 2001:db8::/64") from None
    if isinstance(loose, ipaddress.IPv6Network) and loose.network_address.ipv4_mapped is not None:
        raise ValueError("must not be an IPv4-mapped IPv6 CIDR")
    if ipaddress.ip_address(address) != loose.network_address:
        host = ipaddress.ip_address(address)
        raise ValueError(
            f"has bits set after the /{loose.prefixlen} prefix: write {loose} for the whole "
            f"range, or {host}/{loose.max_prefixlen} for the single address (Kubernetes 1.36 "
            "and newer refuse it; older releases accepted it with a warning and used the "
            "whole range)"
        )
    if canonical and str(loose) != value:
        raise ValueError(f"must be written in canonical form ({loose})")
    return loose
