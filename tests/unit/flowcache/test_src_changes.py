"""Comparing an edited src with the kept one in place (resources.flow_snapshot._changed_lines):
whenever it answers, it answers as comparing the two files' sets of lines would, except
that a line repeating one the files share counts as added (run_from_snapshot then finds
its flow listed twice and takes the full path, as it does for any repeated flow)."""

import random

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.resources import flow_snapshot as F
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import _raw_lines


def by_sets(old: bytes, new: bytes):
    """(added, gone) flow lines as the set comparison of run_from_snapshot has them."""
    new_raw, old_raw = _raw_lines(new), _raw_lines(old)
    new_set, old_set = set(new_raw), set(old_raw)
    added = [(n, raw) for n, raw in enumerate(new_raw, 1) if raw not in old_set and F._is_flow_raw(raw)]
    gone = [(n, raw) for n, raw in enumerate(old_raw, 1) if raw not in new_set and F._is_flow_raw(raw)]
    return added, gone


def flows(pairs):
    return [(n, raw) for n, raw in pairs if F._is_flow_raw(raw)]


def edited(rng, lines):
    out = list(lines)
    for _edit in range(rng.choice([0, 1, 2, 5])):
        if not out:
            break
        k = rng.randrange(len(out))
        roll = rng.random()
        if roll < 0.4:
            out[k] = b"new %d" % rng.randrange(10 ** 6)
        elif roll < 0.5:
            out[k] += b"  "                          # the same flow written otherwise
        elif roll < 0.65:
            a = rng.randrange(len(out))
            out[k], out[a] = out[a], out[k]          # moved
        elif roll < 0.75:
            out.append(b"tail %d" % rng.randrange(10 ** 6))
        elif roll < 0.85:
            out.pop()
        elif roll < 0.92:
            out.insert(k, b"inserted %d" % rng.randrange(10 ** 6))
        elif roll < 0.96:
            out[k] = rng.choice(out)                 # repeats another line
        else:
            out[k] = rng.choice([b"", b"# note", b"   "])
    return out


def test_agrees_with_the_set_comparison_whenever_it_answers():
    rng = random.Random(7)
    answered = 0
    for _trial in range(2000):
        lines = [b"flow %d" % rng.randrange(10 ** 6) for _flow in range(rng.choice([0, 1, 3, 40, 400]))]
        if rng.random() < 0.3:
            lines[len(lines) // 2:len(lines) // 2] = [b"", b"# comment", b""]
        old = b"\n".join(lines) + rng.choice([b"", b"\n"])
        new = b"\n".join(edited(rng, lines)) + rng.choice([b"", b"\n"])
        got = F._changed_lines(old, new)
        if got is None:
            continue
        answered += 1
        added, gone, moved, differ = got
        old_raw, new_raw = _raw_lines(old), _raw_lines(new)
        shared = set(raw for n, raw in enumerate(new_raw[:len(old_raw)], 1) if n not in differ)
        repeats = [(n, raw) for n, raw in flows(added) if raw in shared]
        assert [a for a in flows(added) if a not in repeats] == by_sets(old, new)[0], (old, new)
        assert flows(gone) == by_sets(old, new)[1], (old, new)
        # A line that did not differ has its number in both files.
        for n in range(1, min(len(old_raw), len(new_raw)) + 1):
            if n not in differ:
                assert old_raw[n - 1] == new_raw[n - 1]
        for n, raw in moved:
            assert new_raw[n - 1] == raw and raw in old_raw
    assert answered > 1500


def test_a_table_edited_in_place():
    lines = [b"in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.%d.%d,frag=no) 2" % (i >> 8, i & 255)
             for i in range(5000)]
    old = b"\n".join(lines) + b"\n"
    for k in (0, 1234, 4999):
        lines[k] = lines[k][:-1] + b"3"
    added, gone, moved, differ = F._changed_lines(old, b"\n".join(lines) + b"\n")
    assert [n for n, _raw in added] == [n for n, _raw in gone] == [1, 1235, 5000]
    assert added[1][1].endswith(b" 3") and gone[1][1].endswith(b" 2")
    assert moved == [] and differ == {1, 1235, 5000}


@pytest.mark.parametrize("new", [
    b"x\n" + b"\n".join(b"flow %d" % i for i in range(200)) + b"\n",     # every line moved down
    b"\n".join(b"flow %d" % i for i in range(200)).replace(b"\n", b"\r\n"),
    b"flow 7\nflow 7\n" + b"\n".join(b"flow %d" % i for i in range(2, 200)),   # a new flow line twice
])
def test_refuses_what_does_not_line_up(new):
    old = b"\n".join(b"flow %d" % i for i in range(200))
    assert F._changed_lines(old, new) is None


def test_same_bytes_counts_across_block_sizes():
    a = bytes(range(256)) * 1000
    for cut in (0, 1, 15, 16, 17, 255, 4096, 65535, 65536, 70000, len(a) - 1):
        b = a[:cut] + b"\xff" + a[cut + 1:] if a[cut:cut + 1] != b"\xff" else a[:cut] + b"\x00" + a[cut + 1:]
        assert F._same_bytes(a, 0, b, 0) == cut
    assert F._same_bytes(a, 10, a, 10) == len(a) - 10
    assert F._same_bytes(a, 0, a[:100], 0) == 100


def test_a_line_repeating_a_shared_one_counts_as_added():
    old = b"\n".join(b"flow %d" % i for i in range(200))
    new = b"flow 1\n" + b"\n".join(b"flow %d" % i for i in range(1, 200))
    added, gone, moved, differ = F._changed_lines(old, new)
    assert (added, gone, moved, differ) == ([(1, b"flow 1")], [(1, b"flow 0")], [], {1})
