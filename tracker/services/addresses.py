"""Resolving a host a user named (evidence link, webhook) and checking every address it
resolves to against the address rule (tracker.domain.addresses)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from tracker.domain.addresses import AddressPolicy, Unreachable, checked_address


async def addresses_of(host: str, port: int) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Unreachable(f"域名无法解析：{host}（{error}）") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


async def vetted_address(host: str, port: int, policy: AddressPolicy) -> str:
    """The address to connect to, after checking every address the host resolves to."""
    return checked_address(host, await addresses_of(host, port), policy)
