"""The table snapshot: a digest that names a table whatever the dump order, and a file
that is used only within its context and code, never when corrupt."""

import hashlib
import os

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.fastpath import tablesnapshot as T
from ansible_collections.dpif.ovs.plugins.module_utils.odp import actions as A
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as K
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import CTX_ACTIONS, decode_attrs, encode_attrs
from ansible_collections.dpif.ovs.plugins.module_utils.resources import flow_snapshot as F
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import load_wanted

CONTEXT = (True, (("p1", 1),), False)
TUNNEL = "in_port(3),eth(),eth_type(0x0800),ipv4(frag=no) set(tunnel(tun_id=0x5,dst=192.0.2.1,ttl=64,flags(key))),2"


def table_digest(actions_by_ufid):
    return T.digest_items([ufid + actions for ufid, actions in actions_by_ufid.items()])


def _flows(*lines):
    return load_wanted({"config": list(lines)}, None).flows


def test_digest_ignores_order_and_sees_every_change():
    a, b = _flows("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 2",
                  "in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.0.0.2,frag=no) 1")
    table = {a.ufid: a.actions, b.ufid: b.actions}
    digest = table_digest(table)
    assert table_digest(dict(reversed(list(table.items())))) == digest
    assert table_digest({a.ufid: a.actions}) != digest                       # a flow fewer
    assert table_digest({a.ufid: a.actions, b.ufid: a.actions}) != digest    # other actions
    # Values count, not objects: one bytes object twice digests as two equal ones.
    shared = {a.ufid: a.actions, b.ufid: a.actions}
    assert table_digest(shared) == table_digest({a.ufid: bytes(bytearray(a.actions)), b.ufid: a.actions})
    # Bytes moved from one flow's actions to the next flow's UFID must not collide.
    assert table_digest({a.ufid: b"", b.ufid: a.actions + b.actions}) != table_digest(
        {a.ufid: a.actions, b.ufid: b.actions})


@pytest.mark.parametrize("per_call", [1, 2, 1000])
def test_a_digest_fed_in_pieces_is_the_digest_of_the_whole(per_call):
    """digest_dump feeds a dump a slice at a time: any split, and any
    order, digests as the whole list does."""
    flows = _flows(*("in_port(%d),eth(),eth_type(0x0800),ipv4(dst=10.0.0.%d,frag=no) %d" % (1 + i % 3, i, 2 + i % 5)
                     for i in range(50)))
    items = [f.ufid + f.actions for f in flows]
    acc = T.TableDigest()
    for at in range(0, len(items), per_call):
        acc.add(items[::-1][at:at + per_call])
    acc.add([])
    assert acc.digest() == T.digest_items(items)
    assert acc.digest() != T.digest_items(items[1:]) != T.digest_items(items + items[:1])


def test_digest_ignores_the_tunnel_pad_the_kernel_may_echo():
    (w,) = _flows(TUNNEL)
    # The echo: an empty OVS_TUNNEL_KEY_ATTR_PAD first in the set(tunnel) nest.
    padded = encode_attrs(tuple(
        (t, tuple((kt, ((K.TUN_PAD, b""),) + kp) if kt == K.KEY_TUNNEL else (kt, kp) for kt, kp in p))
        if t == A.ACT_SET else (t, p) for t, p in decode_attrs(w.actions, CTX_ACTIONS)))
    assert len(padded) == len(w.actions) + 4
    assert table_digest({w.ufid: padded}) == table_digest({w.ufid: w.actions})


def test_round_trip_within_its_context_only(tmp_path):
    snap = T.TableSnapshot.for_datapath("dp0", CONTEXT, str(tmp_path))
    assert not snap.load()
    src = b"# flows\nline a\nline b\n"
    snap.save(b"K" * 32, src, ["text a", "text b"], {b"line b": ("a note",)}, [(3, "a note")])
    again = T.TableSnapshot.for_datapath("dp0", CONTEXT, str(tmp_path))
    assert again.load()
    assert (again.table_digest, again.src_digest, again.notes, again.note_lines) == (
        b"K" * 32, hashlib.sha256(src).digest(), {b"line b": ("a note",)}, [(3, "a note")])
    assert again.texts() == ["text a", "text b"]
    assert again.src_bytes() == src
    # A changed-src run reads the src frame first, then the text frame.
    assert again.load() and again.src_bytes() == src and again.texts() == ["text a", "text b"]
    assert not T.TableSnapshot.for_datapath("dp1", CONTEXT, str(tmp_path)).load()
    assert not T.TableSnapshot.for_datapath("dp0", (False,) + CONTEXT[1:], str(tmp_path)).load()
    other_code = T.TableSnapshot.for_datapath("dp0", CONTEXT, str(tmp_path))
    other_code.stamp = "another release"
    assert not other_code.load()
    assert os.stat(snap.path).st_mode & 0o777 == 0o600


def test_an_empty_table_and_a_file_cut_short(tmp_path):
    snap = T.TableSnapshot.for_datapath("dp0", CONTEXT, str(tmp_path))
    snap.save(table_digest({}), b"", [], {}, [])
    assert snap.load() and snap.texts() == [] and snap.src_bytes() == b""
    snap.save(b"K" * 32, b"a line\n" * 1000, ["a text"] * 1000, {}, [])
    with open(snap.path, "rb") as fh:
        data = fh.read()
    cut = T.TableSnapshot.for_datapath("dp0", CONTEXT, str(tmp_path))
    for size in (5, len(data) // 2, len(data) - 1):
        with open(snap.path, "wb") as fh:
            fh.write(data[:size])
        read = cut.load() and cut.texts() is not None and cut.src_bytes() is not None
        assert not read, size
        cut.close()
    with open(snap.path, "wb") as fh:
        fh.write(b"not marshal at all")
    assert not T.TableSnapshot.for_datapath("dp0", CONTEXT, str(tmp_path)).load()
    snap.discard()
    assert not os.path.exists(snap.path)
    snap.discard()      # already gone: no error


def test_texts_written_in_pieces_read_back_whole(tmp_path):
    """The text frame is written 4096 lines at a time: lines across the
    pieces' edges, and text that is not ASCII (port names), read back as
    they were."""
    snap = T.TableSnapshot.for_datapath("dp0", CONTEXT, str(tmp_path))
    texts = ["in_port(pört%d) %d" % (i, i) for i in range(10000)]
    src = "\n".join(texts).encode("utf-8")
    snap.save(b"K" * 32, src, texts, {}, [])
    again = T.TableSnapshot.for_datapath("dp0", CONTEXT, str(tmp_path))
    assert again.load()
    assert again.texts() == texts
    assert again.src_bytes() == src


def test_lines_are_read_back_across_piece_edges():
    """_read_lines reads a frame in pieces: a line cut by a piece's edge,
    a piece with no newline, a multi-byte character cut in two."""
    text = "é" * 3 + "\nab\n" + "x" * 7 + "\n\nçz"
    data = text.encode("utf-8")
    for piece in range(1, len(data) + 2):
        pieces = [data[i:i + piece] for i in range(0, len(data), piece)]
        assert T._read_lines(iter(pieces)) == text.split("\n")
    assert T._read_lines(iter([])) == []


def _padded(actions):
    """``actions`` as the kernel may echo them: an empty tunnel PAD first in each set(tunnel)."""
    return encode_attrs(tuple(
        (t, tuple((kt, ((K.TUN_PAD, b""),) + kp) if kt == K.KEY_TUNNEL else (kt, kp) for kt, kp in p))
        if t == A.ACT_SET else (t, p) for t, p in decode_attrs(actions, CTX_ACTIONS)))


@pytest.mark.parametrize("state", ["merged", "replaced", "overridden"])
def test_the_digest_after_a_plan_is_the_digest_of_the_table_it_leaves(state):
    """A changed-src run keeps only the dump's flows its changed lines name:
    the digest it records is the found table's, with the plan's deletes,
    modifies and creates taken out and put in. It must equal the digest of
    the whole table after the plan, including for flows dumped with a PAD."""
    from ansible_collections.dpif.ovs.plugins.module_utils import planner
    lines = ["in_port(%d),eth(),eth_type(0x0800),ipv4(dst=10.0.1.%d,frag=no) %d" % (1 + i % 3, i, 2 + i % 5)
             for i in range(12)]
    flows = _flows(*(lines + [TUNNEL]))
    # Installed: as listed, but flow 2 and the tunnel flow (echoed with a PAD) carry other actions.
    dumped = {f.ufid: f.actions for f in flows}
    other = _flows("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.1.2,frag=no) 7")[0].actions
    dumped[flows[2].ufid] = other
    dumped[flows[-1].ufid] = _padded(other)
    have = dict((f.ufid, planner.HaveFlow(f.ufid, f.ufid, f.key, f.mask, dumped[f.ufid])) for f in flows)
    # Wanted: flows 0-5 and the tunnel flow as listed, two new flows; 6-11 not listed.
    new = _flows("in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.0.9.1,frag=no) 2",
                 "in_port(2),eth(),eth_type(0x0800),ipv4(dst=10.0.9.2,frag=no) 3")
    p = planner.plan(flows[:6] + flows[-1:] + new, have, state)
    assert len(p.modify) == 2 and len(p.create) == 2 and len(p.delete) == (6 if state == "overridden" else 0)
    items = [ufid + actions for ufid, actions in dumped.items()]
    found = T.TableDigest()
    found.add(items)
    assert F._digest_after(found, p) == T.digest_items(F._after_plan(sorted(items), p))
    # And that is the table the kernel will report: the modified flows with their new actions.
    left = dict(dumped)
    for h in p.delete:
        del left[h.ident]
    for m in p.modify:
        left[m.have.ident] = m.actions
    left.update((w.ufid, w.actions) for w in p.create)
    assert table_digest(left) == T.digest_items(F._after_plan(sorted(items), p))


def test_removing_flows_is_adding_them_undone():
    flows = _flows(*("in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.2.%d,frag=no) 2" % i for i in range(10)))
    items = [f.ufid + f.actions for f in flows]
    acc = T.TableDigest()
    acc.add(items)
    acc.remove(items[3:7])
    assert acc.digest() == T.digest_items(items[:3] + items[7:])
    acc.add(items[3:7])
    assert acc.digest() == T.digest_items(items)
