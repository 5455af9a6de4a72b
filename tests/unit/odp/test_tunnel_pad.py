# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""actions_without_tunnel_pad: the byte-level strip of top-level tunnel sets
gives what decoding, dropping the PADs and encoding again gives."""

from __future__ import absolute_import, annotations, division, print_function

import random

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as A
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as K
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
from ansible_collections.dpif.ovs.plugins.module_utils.odp import wire as W
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import canonical
from bench_odp import gen_flows

__metaclass__ = type

_PAD = (K.TUN_PAD, b"")


def _padded(acts: tuple, rnd: random.Random) -> tuple:
    """``acts`` with PADs put at random places in top-level tunnel sets (as
    the kernel puts one before tun_id, and more, to test the strip)."""
    out = []
    for t, p in acts:
        if t == A.ACT_SET and p and p[0][0] == K.KEY_TUNNEL:
            fields = list(p[0][1])
            for _n in range(rnd.choice((1, 1, 2))):
                fields.insert(rnd.randrange(len(fields) + 1), _PAD)
            p = ((K.KEY_TUNNEL, tuple(fields)),)
        out.append((t, p))
    return tuple(out)


def _decoded_strip(actions: bytes) -> bytes:
    return W.encode_attrs(W._strip_pad(W.decode_attrs(actions, W.CTX_ACTIONS, "actions")))


def test_the_byte_strip_equals_the_decoded_strip_on_generated_flows():
    rnd = random.Random(5)
    seen = 0
    for line in gen_flows(3000, seed=17):
        acts = canonical(T.parse_flow(line)).actions
        padded = W.encode_attrs(_padded(acts, rnd))
        plain = W.encode_attrs(acts)
        if padded == plain:
            continue
        seen += 1
        assert W._strip_top_level_tunnel_pad(padded) == _decoded_strip(padded) == plain
        assert W.actions_without_tunnel_pad(padded) == plain
    assert seen > 100


@pytest.mark.parametrize("actions", [
    "clone(set(tunnel(tun_id=0x6,dst=192.0.2.2,ttl=64,flags(key))),3),2",
    "userspace(pid=1,userdata(04000e00)),2",
    "2",
])
def test_pads_elsewhere_are_left_to_the_decoder(actions):
    """A PAD pattern outside a top-level tunnel set (inside clone, or in
    opaque bytes) is not stripped in bytes: the caller decodes."""
    acts = canonical(T.parse_flow("in_port(1) " + actions)).actions
    if acts[0][0] == A.ACT_CLONE:
        acts = ((A.ACT_CLONE, _padded(acts[0][1], random.Random(1))),) + acts[1:]
    raw = W.encode_attrs(acts)
    assert W._strip_top_level_tunnel_pad(raw) is None
    assert W.actions_without_tunnel_pad(raw) == (_decoded_strip(raw) if W.TUNNEL_PAD in raw else raw)


@pytest.mark.parametrize("cut", [1, 2, 5])
def test_a_cut_list_is_left_to_the_decoder(cut):
    acts = _padded(canonical(T.parse_flow(
        "in_port(1) set(tunnel(tun_id=0x5,dst=192.0.2.1,ttl=64,tp_dst=4789,flags(df|key))),2")).actions,
        random.Random(2))
    raw = W.encode_attrs(acts)
    assert W._strip_top_level_tunnel_pad(raw[:-cut]) is None
