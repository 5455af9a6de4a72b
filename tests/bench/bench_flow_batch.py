"""Micro-benchmark of the flow batch path (not a test).

Run inside the sandbox, as root:

    DPIF_SANDBOX_MEM=2G tests/sandbox/run .venv/bin/python tests/bench/bench_flow_batch.py [-n 100000]

Installs N simple flows (in_port(1), eth_type IPv4, a distinct ipv4 dst /32,
output:2) whose keys and actions were encoded beforehand, with
``Dpif.operate`` in batches; dumps them in full and terse; deletes them.
Then, unless --no-dpctl, does the same table with ``ovs-dpctl add-flows`` /
``dump-flows`` / ``del-flows`` for a ratio in the same run. Prints seconds,
flows/s and the peak RSS (ru_maxrss) after each phase.
"""

import argparse
import os
import resource
import socket
import struct
import subprocess
import sys
import tempfile
import time

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.framing import nla
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import FlowDel, FlowPut


def addr(i):
    return "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)


def encode_key(i):
    return (nla(3, struct.pack("=I", 1)) + nla(4, bytes(12)) + nla(6, b"\x08\x00")
            + nla(7, socket.inet_aton("10.0.0.1") + socket.inet_aton(addr(i)) + bytes(4)))


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def report(name, seconds, count):
    print("%-28s %8.2f s  %9.0f flows/s  peak RSS %6.1f MB"
          % (name, seconds, count / seconds if seconds else 0, rss_mb()), flush=True)


def run_ours(dpif, dp, n, batch):
    t0 = time.perf_counter()
    action = nla(1, struct.pack("=I", 2))
    keys = [encode_key(i + 1) for i in range(n)]
    report("encode keys (not timed below)", time.perf_counter() - t0, n)

    t0 = time.perf_counter()
    errors = 0
    for start in range(0, n, batch):
        ops = [FlowPut(key=k, actions=action) for k in keys[start:start + batch]]
        errors += len(dpif.operate(dp, ops))
    report("dpif.ovs install", time.perf_counter() - t0, n)
    if errors:
        sys.exit("%d puts failed" % errors)

    t0 = time.perf_counter()
    count = sum(1 for flow in dpif.flow_dump(dp))
    report("dpif.ovs dump (full)", time.perf_counter() - t0, count)
    if count != n:
        sys.exit("dumped %d flows, expected %d" % (count, n))
    t0 = time.perf_counter()
    count = sum(1 for flow in dpif.flow_dump(dp, terse=True))
    report("dpif.ovs dump (terse)", time.perf_counter() - t0, count)

    t0 = time.perf_counter()
    for start in range(0, n, batch):
        ops = [FlowDel(key=k) for k in keys[start:start + batch]]
        errors += len(dpif.operate(dp, ops))
    report("dpif.ovs delete", time.perf_counter() - t0, n)
    if errors:
        sys.exit("%d dels failed" % errors)
    sock = dpif.provider._flow()
    print("socket: rcvbuf %d, window %d, answers lost and recovered %d"
          % (sock.rcvbuf, sock.window, sock.overruns))


def run_dpctl(dp, n):
    with tempfile.NamedTemporaryFile("w", suffix=".flows", delete=False) as f:
        for i in range(n):
            f.write("in_port(1),eth(),eth_type(0x0800),ipv4(src=10.0.0.1,dst=%s,proto=0,tos=0,ttl=0,frag=no) 2\n"
                    % addr(i + 1))
        path = f.name
    try:
        t0 = time.perf_counter()
        subprocess.run(["ovs-dpctl", "add-flows", dp, path], check=True)
        report("ovs-dpctl add-flows", time.perf_counter() - t0, n)
        t0 = time.perf_counter()
        out = subprocess.run(["ovs-dpctl", "dump-flows", dp], check=True, stdout=subprocess.PIPE).stdout
        report("ovs-dpctl dump-flows", time.perf_counter() - t0, out.count(b"\n"))
        t0 = time.perf_counter()
        subprocess.run(["ovs-dpctl", "del-flows", dp], check=True)
        report("ovs-dpctl del-flows (flush)", time.perf_counter() - t0, n)
    finally:
        os.unlink(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("-n", type=int, default=100000, help="number of flows")
    parser.add_argument("--batch", type=int, default=10000, help="ops per operate() call")
    parser.add_argument("--no-dpctl", action="store_true", help="skip the ovs-dpctl comparison")
    args = parser.parse_args()
    dpif = Dpif.open_system()
    dp = "bench0"
    if dpif.get(dp) is not None:
        dpif.destroy(dp)
    dpif.create(dp)
    try:
        run_ours(dpif, dp, args.n, args.batch)
        if not args.no_dpctl:
            run_dpctl(dp, args.n)
    finally:
        dpif.destroy(dp)
        dpif.close()


if __name__ == "__main__":
    main()
