"""The planner's decision table: (wanted, installed, state) -> operations."""

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils import planner
from ansible_collections.dpif.ovs.plugins.module_utils.odp import flow_ufid
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import encode_attrs
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import canonical

A = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no)"
B = "in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.0.0.2,frag=no)"
C = "in_port(3),eth(),eth_type(0x0800),ipv4(dst=10.0.0.3,frag=no)"


def want(key, actions):
    flow = canonical(parse_flow("%s %s" % (key, actions)))
    k, m, a = flow.canonical_tuple()
    return planner.WantFlow(ufid=flow_ufid(flow), flow=flow, key=encode_attrs(k), mask=encode_attrs(m),
                            actions=encode_attrs(a), text="")


def have(key, actions, packets=0):
    w = want(key, actions)
    return planner.HaveFlow(ident=w.ufid, kernel_ufid=w.ufid, key=w.key, mask=w.mask, actions=w.actions,
                            packets=packets, bytes=packets * 60)


def summary(p):
    return (len(p.create), len(p.modify), len(p.delete), p.unchanged)


TABLE = [A + " 2", B + " 1"]


@pytest.mark.parametrize("state,wanted,expected", [
    # state       wanted                    (create, modify, delete, unchanged)
    ("merged", [A + " 2", B + " 1"], (0, 0, 0, 2)),
    ("merged", [A + " 3"], (0, 1, 0, 0)),
    ("merged", [C + " 1"], (1, 0, 0, 0)),
    ("replaced", [A + " 2"], (0, 0, 0, 1)),
    ("replaced", [A + " 3", C + " 1"], (1, 1, 0, 0)),
    ("overridden", [A + " 2"], (0, 0, 1, 1)),
    ("overridden", [C + " 1"], (1, 0, 2, 0)),
    ("overridden", [A + " 2", B + " 1"], (0, 0, 0, 2)),
    ("deleted", [A + " 9"], (0, 0, 1, 0)),
    ("deleted", [C + " 1"], (0, 0, 0, 0)),
    ("deleted", [], (0, 0, 2, 0)),
])
def test_decisions(state, wanted, expected):
    installed = dict((h.ident, h) for h in (have(*f.split(" ")) for f in TABLE))
    wanted = [want(*f.split(" ")) for f in wanted]
    assert summary(planner.plan(wanted, installed, state)) == expected


def test_merged_gives_a_listed_flow_exactly_its_actions_as_replaced_does():
    """Installed with 2, listed with 3: the flow outputs to 3, never to both."""
    installed = {h.ident: h for h in [have(A, "2"), have(B, "1")]}
    merged = planner.plan([want(A, "3")], installed, "merged")
    replaced = planner.plan([want(A, "3")], installed, "replaced")
    assert merged.modify[0].actions == replaced.modify[0].actions == want(A, "3").actions
    assert summary(merged) == summary(replaced) == (0, 1, 0, 0)     # B, unlisted, is left alone


def test_merged_with_more_actions_installed_sets_the_listed_ones():
    installed = {h.ident: h for h in [have(A, "2,3")]}
    p = planner.plan([want(A, "3")], installed, "merged")
    assert summary(p) == (0, 1, 0, 0) and p.modify[0].actions == want(A, "3").actions


def test_clear_stats_only_where_counted():
    installed = {h.ident: h for h in [have(A, "2", packets=5), have(B, "1")]}
    p = planner.plan([want(A, "2"), want(B, "1")], installed, "merged", clear_stats=True)
    assert [(m.have.ident, m.zero_stats) for m in p.modify] == [(want(A, "2").ufid, True)]
    assert p.unchanged == 1


def test_equal_actions_in_another_encoding_are_unchanged():
    # The kernel echoes ct() with its zone even when 0: equal, so no modify.
    h = have(A, "2")
    h.actions = encode_attrs(parse_flow(A + " ct(commit,zone=0),2").actions)
    w = want(A, "ct(commit),2")
    assert w.actions != h.actions
    assert planner.actions_equal(w, h)
    assert summary(planner.plan([w], {h.ident: h}, "replaced")) == (0, 0, 0, 1)


def test_unknown_state():
    with pytest.raises(ValueError):
        planner.plan([], {}, "purged")


def _kernel_padded(actions: bytes) -> bytes:
    """``actions`` as the kernel may echo a tunnel set: an empty
    OVS_TUNNEL_KEY_ATTR_PAD first in the tunnel nest."""
    from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as K
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import CTX_ACTIONS, decode_attrs

    def pad(acts):
        out = []
        for t, p in acts:
            if t == 3:              # set(tunnel(...))
                p = tuple((kt, ((K.TUN_PAD, b""),) + kp) if kt == K.KEY_TUNNEL else (kt, kp) for kt, kp in p)
            elif t == 20:           # clone(...)
                p = pad(p)
            out.append((t, p))
        return tuple(out)
    return encode_attrs(pad(decode_attrs(actions, CTX_ACTIONS)))


@pytest.mark.parametrize("actions", [
    "set(tunnel(tun_id=0x5,dst=192.0.2.1,ttl=64,tp_dst=4789,flags(df|key))),2",
    "clone(set(tunnel(tun_id=0x6,dst=192.0.2.2,ttl=64,flags(key))),3),2",
])
def test_tunnel_pad_in_the_kernels_echo_is_no_change(actions):
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import actions_without_tunnel_pad
    w = want(A, actions)
    padded = _kernel_padded(w.actions)
    assert padded != w.actions and len(padded) == len(w.actions) + 4
    assert actions_without_tunnel_pad(padded) == w.actions
    assert actions_without_tunnel_pad(w.actions) is w.actions
    h = have(A, actions)
    h.actions = padded
    p = planner.plan([w], {h.ident: h}, "replaced")
    assert summary(p) == (0, 0, 0, 1)
    assert w.echo is None       # not remembered: the PAD depends on the dump


def test_tunnel_pad_does_not_hide_a_real_change():
    w = want(A, "set(tunnel(tun_id=0x5,dst=192.0.2.1,ttl=64,flags(key))),2")
    h = have(A, "set(tunnel(tun_id=0x7,dst=192.0.2.1,ttl=64,flags(key))),2")
    h.actions = _kernel_padded(h.actions)
    assert summary(planner.plan([w], {h.ident: h}, "replaced")) == (0, 1, 0, 0)
