"""The client's address: the TCP peer, or behind a trusted reverse proxy the address it forwards.

`X-Forwarded-For` is honoured only when the peer is a configured proxy, and read from the right: each
proxy appends the address it saw, so the right-most address that is not itself a trusted proxy is the
client (anything left of it was written by the client and proves nothing).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_MAX_REMEMBERED = 1024


def _parse(text: str) -> IpAddress | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class ClientAddresses:
    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self._networks = [ipaddress.ip_network(entry, strict=False) for entry in trusted_proxies]
        self._trusted_peers: dict[str, bool] = {}  # peer address -> trusted (peers are few: the proxies)

    def _is_trusted(self, address: IpAddress) -> bool:
        return any(address in network for network in self._networks)

    def _peer_is_trusted(self, peer: str) -> bool:
        known = self._trusted_peers.get(peer)
        if known is None:
            parsed = _parse(peer)
            known = parsed is not None and self._is_trusted(parsed)
            if len(self._trusted_peers) >= _MAX_REMEMBERED:
                self._trusted_peers.clear()
            self._trusted_peers[peer] = known
        return known

    def of(self, request: web.Request) -> str:
        peer = request.remote or "unknown"
        if not self._networks or not self._peer_is_trusted(peer):
            return peer
        forwarded = request.headers.getall("X-Forwarded-For", ())
        client = peer
        for hop in reversed(",".join(forwarded).split(",")):
            address = _parse(hop)
            if address is None:
                break  # not an address: keep the last one a trusted proxy vouched for
            client = str(address)
            if not self._is_trusted(address):
                break
        return client
