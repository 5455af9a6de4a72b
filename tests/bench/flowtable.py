"""A realistic, overlap-free flow table for benchmarks, in ovs-dpctl add-flows syntax.

Four mask shapes, as a hypervisor's megaflow cache would hold them, each on its
own input port so that no two flows overlap (the kernel refuses overlapping
creates with EEXIST, for ovs-dpctl as for us):

* port 1: IPv4 destination /32, forward to a tunnel with set(tunnel(...));
* port 2: IPv4 + TCP destination port, conntrack then recirculate;
* port 3: IPv6 destination, output;
* port 4: 802.1Q VLAN with IPv4 inside, pop_vlan and output.
"""

import random


def _ip4(i):
    return "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)


def flow_line(i: int, variant: int = 0) -> str:
    """Flow number ``i``; ``variant`` changes its actions, not its match."""
    shape = i % 4
    n = i // 4
    out = 10 + variant
    if shape == 0:
        return ("in_port(1),eth(),eth_type(0x0800),ipv4(dst=%s,frag=no) "
                "set(tunnel(tun_id=0x%x,dst=192.0.2.%d,ttl=64,tp_dst=4789,flags(df|key))),%d"
                % (_ip4(n), n & 0xffffff, 1 + n % 250, out))
    if shape == 1:
        return ("in_port(2),eth(),eth_type(0x0800),ipv4(src=%s,proto=6,frag=no),tcp(dst=%d),tcp_flags(0/0) ct(commit),recirc(%d)"
                % (_ip4(n >> 8), 1 + (n & 0xff) * 200 % 65000, 1 + variant))
    if shape == 2:
        return ("in_port(3),eth(),eth_type(0x86dd),ipv6(dst=fd00::%x:%x,frag=no) %d"
                % (n >> 16, n & 0xffff, out))
    return ("in_port(4),eth(),eth_type(0x8100),vlan(vid=%d),encap(eth_type(0x0800),ipv4(dst=%s,frag=no)) pop_vlan,%d"
            % (1 + n % 4000, _ip4(n), out))


def write_table(path: str, count: int, change_every: int = 0, seed: int = 1) -> int:
    """Write ``count`` flows; with ``change_every`` k, every k-th flow (chosen
    by a seeded shuffle) gets other actions. Returns how many changed."""
    changed = set()
    if change_every:
        order = list(range(count))
        random.Random(seed).shuffle(order)
        changed = set(order[:count // change_every])
    with open(path, "w") as fh:
        for i in range(count):
            fh.write(flow_line(i, 1 if i in changed else 0))
            fh.write("\n")
    return len(changed)
