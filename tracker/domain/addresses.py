"""Which network addresses the tracker may call on a user's say-so: one rule for evidence
checks (佐证链接) and notification channels (webhooks).

- Only globally routable unicast addresses, by default.
- Never link-local (169.254.0.0/16, fe80::/10: cloud metadata lives there), unspecified,
  multicast or reserved addresses, whoever asks.
- Private ranges (government intranets are private networks) only for host names an
  administrator lists (TRACKER_WEBHOOK_ALLOWED_PRIVATE_HOSTS); loopback only for a listed host
  or when a test turns it on (TRACKER_EVIDENCE_ALLOW_LOOPBACK).
- A name is resolved first and every address must pass; the caller then connects to the
  address that was checked, so a second DNS answer cannot swap in an internal one.

Pure: the rule and the choice among a name's addresses. Resolving the name is
tracker.services.addresses.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

# Metadata services outside link-local space (Alibaba Cloud's is in 100.64.0.0/10).
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("100.100.100.200"),
                                ipaddress.ip_address("fd00:ec2::254")})


class Refused(Exception):
    """The address may not be called; the message says why, in Chinese."""


class Unreachable(Exception):
    """The name does not resolve."""


@dataclass(frozen=True)
class AddressPolicy:
    allow_loopback: bool = False
    private_hosts: frozenset[str] = frozenset()  # lower-case names (or literal addresses)

    def for_host(self, host: str) -> tuple[bool, bool]:
        """(private allowed, loopback allowed) for this host name."""
        listed = host.lower().rstrip(".") in self.private_hosts
        return listed, listed or self.allow_loopback


def _plain(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            ip = embedded
    return ip


def address_allowed(address: str, allow_loopback: bool = False, allow_private: bool = False) -> bool:
    """Globally routable unicast addresses; loopback and private ranges only when allowed;
    link-local, metadata, unspecified, multicast and reserved never."""
    ip = _plain(address)
    if ip in METADATA_ADDRESSES or ip.is_link_local or ip.is_unspecified or ip.is_multicast:
        return False
    if ip.is_loopback:
        return allow_loopback
    if ip.is_global:
        return True
    return allow_private and ip.is_private and not ip.is_reserved


def checked_address(host: str, addresses: list[str], policy: AddressPolicy) -> str:
    """The address to connect to, once every address the host resolved to has passed."""
    allow_private, allow_loopback = policy.for_host(host)
    for address in addresses:
        if not address_allowed(address, allow_loopback, allow_private):
            raise Refused(f"{host} 指向内网、本机或保留地址（{address}），不予访问")
    if not addresses:
        raise Unreachable(f"域名无法解析：{host}")
    return addresses[0]
