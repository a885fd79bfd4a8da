"""Free loopback ports for test stacks: a range for ``serve --processes N`` is never handed out again."""

from __future__ import annotations

import socket

from router_extproc.demo.stack import free_port, free_ports


def test_a_range_is_bindable_and_never_handed_out_again() -> None:
    base = free_ports(3)
    held = []
    try:
        for port in range(base, base + 3):
            held.append(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            held[-1].bind(("127.0.0.1", port))
    finally:
        for s in held:
            s.close()
    # the range is free again at the OS level, but free_port must not give any of it away
    assert not {free_port() for _ in range(300)} & set(range(base, base + 3))


def test_a_range_of_one_is_a_free_port() -> None:
    port = free_ports(1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", port))
