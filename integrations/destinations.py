"""Where a webhook may be sent: only to global unicast addresses, resolved once.

Webhooks leave from inside the city's network, so a subscriber who could name a private,
loopback, link-local or otherwise special address would turn deliveries into a probe of
that network (SSRF). Two rules close it:

- **The address.** Every address a host resolves to must be global unicast: IPv6 inside
  2000::/3, IPv4 outside every block of the IANA special-purpose registry (192.0.0.0/24
  included, where Python's `is_global` says yes to 192.0.0.8) and outside multicast. IPv6
  forms that carry an IPv4 address are judged by that address: IPv4-mapped
  (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), IPv4-compatible
  (`::a.b.c.d`), NAT64 (`64:ff9b::/96`), 6to4 (`2002::/16`) and Teredo (server and
  client). The local-use NAT64 prefix `64:ff9b:1::/48` (RFC 8215) reaches a translator
  inside an operator's own network: refused whatever it carries.
- **Resolved once.** `resolve()` looks the name up once and the request is sent to that
  address (`pinned()`: the URL names the address, the Host header and the TLS server
  name are the host's, so the certificate is still verified against the name). A DNS
  answer that changes between the check and the connection (rebinding) is never asked.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _nets(*pairs: tuple[str, Promise]) -> list[tuple[ipaddress._BaseNetwork, Promise]]:
    return [(ipaddress.ip_network(net), label) for net, label in pairs]


# The IANA IPv4 Special-Purpose Address Registry (2024), every entry refused, plus
# multicast and the deprecated 6to4 relay anycast block: none is a partner's endpoint.
SPECIAL_IPV4 = _nets(
    ("0.0.0.0/8", _("“this network”")),
    ("10.0.0.0/8", _("private")),
    ("100.64.0.0/10", _("shared address space (carrier-grade NAT)")),
    ("127.0.0.0/8", _("loopback")),
    ("169.254.0.0/16", _("link-local")),
    ("172.16.0.0/12", _("private")),
    ("192.0.0.0/24", _("reserved for IETF protocol assignments")),
    ("192.0.2.0/24", _("reserved for documentation")),
    ("192.31.196.0/24", _("reserved for AS112")),
    ("192.52.193.0/24", _("reserved for AMT")),
    ("192.88.99.0/24", _("reserved (6to4 relay anycast)")),
    ("192.168.0.0/16", _("private")),
    ("192.175.48.0/24", _("reserved for AS112")),
    ("198.18.0.0/15", _("reserved for benchmarking")),
    ("198.51.100.0/24", _("reserved for documentation")),
    ("203.0.113.0/24", _("reserved for documentation")),
    ("224.0.0.0/4", _("multicast")),
    ("240.0.0.0/4", _("reserved")),
    ("255.255.255.255/32", _("broadcast")),
)

# IPv6 outside 2000::/3 is not global unicast; these names make the refusal readable.
GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
NAMED_IPV6 = _nets(
    ("::1/128", _("loopback")),
    ("::/128", _("unspecified")),
    ("64:ff9b:1::/48", _("a local-use NAT64 prefix")),
    ("100::/64", _("reserved (discard-only)")),
    ("fc00::/7", _("private (unique local)")),
    ("fe80::/10", _("link-local")),
    ("fec0::/10", _("site-local")),
    ("ff00::/8", _("multicast")),
)
# Inside 2000::/3, the special-purpose entries (Teredo is judged by its IPv4 addresses).
SPECIAL_IPV6 = _nets(
    ("2001:db8::/32", _("reserved for documentation")),
    ("3fff::/20", _("reserved for documentation")),
    ("2001::/23", _("reserved for IETF protocol assignments")),
    ("2620:4f:8000::/48", _("reserved for AS112")),
)
TEREDO = ipaddress.ip_network("2001::/32")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SIXTOFOUR = ipaddress.ip_network("2002::/16")
MAPPED = ipaddress.ip_network("::ffff:0:0/96")
TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
COMPATIBLE = ipaddress.ip_network("::/96")


class DestinationRefused(ValueError):
    """A destination a webhook may not be sent to; the message says why, for the user."""


def _v4_reason(address: ipaddress.IPv4Address) -> Promise | None:
    for network, label in SPECIAL_IPV4:
        if address in network:
            return label
    return None


def carried_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 address(es) an IPv6 address carries, by the forms that carry one."""
    value = int(address)
    if address in MAPPED or address in TRANSLATED or address in COMPATIBLE:
        return [ipaddress.IPv4Address(value & 0xFFFFFFFF)]
    if address in NAT64:
        return [ipaddress.IPv4Address(value & 0xFFFFFFFF)]
    if address in SIXTOFOUR:
        return [address.sixtofour]
    if address in TEREDO:
        server, client = address.teredo
        return [server, client]
    return []


def refusal(address: IPAddress) -> str | None:
    """Why a webhook may not go to `address`, in words; None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return gettext("%(address)s names a network interface") % {"address": address}
        for network, label in NAMED_IPV6:
            if address in network:
                return gettext("%(address)s is %(kind)s") % {"address": address, "kind": label}
        carried = carried_ipv4(address)
        for inner in carried:
            kind = _v4_reason(inner)
            if kind is not None:
                message = gettext(
                    "%(address)s carries the IPv4 address %(inner)s, which is %(kind)s"
                )
                return message % {"address": address, "inner": inner, "kind": kind}
        if carried:
            return None  # judged as the IPv4 address(es) it carries
        if address not in GLOBAL_UNICAST_V6:
            return gettext("%(address)s is not a global unicast address") % {"address": address}
        for network, label in SPECIAL_IPV6:
            if address in network:
                return gettext("%(address)s is %(kind)s") % {"address": address, "kind": label}
        return None
    kind = _v4_reason(address)
    if kind is not None:
        return gettext("%(address)s is %(kind)s") % {"address": address, "kind": kind}
    return None


def parse_address(text: str) -> IPAddress | None:
    """An IP literal (IPv6 without brackets), or None for a host name."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def resolve_host(host: str, port: int) -> list[str]:
    """The system resolver's answer (every address). Tests replace this function."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


@dataclass(frozen=True)
class Destination:
    """A URL with the one address it will be sent to."""

    url: str
    host: str  # as in the URL (a name, or an address literal)
    port: int
    address: IPAddress

    def pinned(self) -> tuple[str, dict[str, str], dict[str, str]]:
        """(URL naming the address, headers, request extensions): the request goes to the
        resolved address, with the host's name in Host and as the TLS server name (SNI and
        the certificate check)."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        netloc = literal if parts.port is None else f"{literal}:{parts.port}"
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        name = f"[{self.host}]" if ":" in self.host else self.host
        headers = {"Host": name if parts.port is None else f"{name}:{parts.port}"}
        extensions = {"sni_hostname": self.host} if parts.scheme == "https" else {}
        return url, headers, extensions


def resolve(url: str, *, allow_private: bool = False) -> Destination:
    """The address `url` is to be sent to, looked up once. Raises DestinationRefused when
    the host does not resolve or (unless `allow_private`, for a receiver on this machine)
    when any address it resolves to is not global unicast: a name answering with a public
    and a private address is refused, not half-trusted."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DestinationRefused(gettext("The URL's port is not valid.")) from None
    literal = parse_address(host)
    if literal is None:
        try:  # the name as DNS, the Host header and TLS carry it (IDNA)
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise DestinationRefused(gettext("The host name is not valid.")) from None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            answer = resolve_host(host, port)
        except (OSError, UnicodeError):
            answer = []
        addresses = [a for a in (parse_address(text.split("%")[0]) for text in answer) if a]
        if not addresses:
            raise DestinationRefused(
                gettext("The host name %(host)s does not resolve to an address.") % {"host": host}
            )
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise DestinationRefused(reason)
    address = addresses[0]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # the IPv4 it names: connect over IPv4
    return Destination(url=url, host=host, port=port, address=address)
