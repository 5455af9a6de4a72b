# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flow lines encoded by template: a big src file in a few full parses.

A table of 100k flows is mostly a few kinds of line that differ only in
addresses, ports, VLAN ids and tunnel ids::

    in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.7,frag=no) set(tunnel(tun_id=0x7,dst=192.0.2.8,...)),10

Parsing, checking, canonicalising and encoding such a line in full costs
about 60 us on the host and 150 us under UML. :class:`LineTemplates` does it
in full for the first two lines of a kind (a "skeleton": the line with the
values of ``src=``, ``dst=``, ``tun_id=`` and a vlan match's ``vid=`` fields
cut out), learns from
them where each value lands in the encoded key or actions, and then encodes
the other lines of that kind by putting their values' bytes in those places.

Only values whose bytes are the field's bytes whatever the value are cut
out, so the learnt template is right for every value it takes:

* the fields of :data:`PLAIN`, chosen for it: addresses and ports of the
  Ethernet, IP and L4 headers, a tunnel's addresses, ports and id, and a
  VLAN match's vid. No rule of the kernel or of :mod:`.rules` looks at
  their values, except that a tunnel needs a non-zero destination (and a
  vid fits in 12 bits): the template never takes a zero
  value (nor a value spelled otherwise than its kind's parser reads it);
  those lines are encoded in full. A value followed by a mask (``/...``)
  stays part of the skeleton;
* each place is proven, not assumed: the first line is encoded again with
  each value changed in every byte, and the template is kept only if
  exactly those bytes of the key or the actions changed, to that value's
  bytes, and the mask and the notes (fix-ups) did not. The second line is
  encoded both ways, and the template is kept only if both give the same.

A line the template does not take, or of a skeleton without a template, is
encoded in full, so errors are the full path's, with its messages.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import re
from typing import Callable, List, Optional, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys

#: (key, mask, actions, notes): encoded canonical attributes, and what the
#: checks filled in.
Encoded = Tuple[bytes, bytes, bytes, tuple]

# A value that may be cut out: after src=, dst= (also ipv6_src=, tp_dst=...),
# tun_id= or a vlan match's vid=, and ending the field (no mask after it).
_VALUE = re.compile(r"(?:(?<=src=)|(?<=dst=)|(?<=tun_id=)|(?<=[,(]vlan\(vid=))([0-9A-Za-z:.]+)(?=[,)])")
#: Skeletons remembered (with their first line, or their template).
SKELETONS_MAX = 4096


def _int_value(kind: str, size: int):
    parse = odp_keys.KINDS[kind].parse

    def value(text: str) -> Optional[bytes]:
        try:
            v = parse(text)
        except ValueError:
            return None
        return v.to_bytes(size, "big") if v else None
    return value


def _address(parse: Callable[[str], bytes]):
    def value(text: str) -> Optional[bytes]:
        try:
            b = parse(text)
        except ValueError:
            return None
        return b if any(b) else None
    return value


def _mac(text: str) -> Optional[bytes]:
    try:
        b = odp_keys.parse_mac(text)
    except ValueError:
        return None
    return b if any(b) else None


class _Kind:
    """A plain value's kind: ``read`` gives the bytes of its text, or None
    for a value the template does not take (zero, or spelled otherwise than
    the full path's parser reads it: then the full path decides);
    ``probe`` gives, for a value's bytes, the text of a value whose bytes
    differ from them in every byte (:meth:`LineTemplates._learn`)."""

    __slots__ = ("read", "probe")

    def __init__(self, read: Callable[[str], Optional[bytes]], probe: Callable[[bytes], str]):
        self.read = read
        self.probe = probe


def _flipped(spell: Callable[[bytes], str]) -> Callable[[bytes], str]:
    """A probe: the value with every byte changed, spelled by ``spell``."""
    return lambda old: spell(bytes(b ^ 0xA5 for b in old))


def _vid(text: str) -> Optional[bytes]:
    """vlan(vid=N) without pcp or cfi: the TCI the parser makes of it (CFI
    set). A vlan() with pcp or cfi has other bytes there: the probes then
    refuse the template."""
    try:
        v = odp_keys.parse_int(text)
    except ValueError:
        return None
    return (odp_keys.VLAN_CFI | v).to_bytes(2, "big") if 0 < v <= odp_keys.VLAN_VID_MASK else None


def _vid_probe(old: bytes) -> str:
    # The TCI's top nibble is the CFI bit (and pcp): a vid changed in both
    # bytes of the TCI changes its own top nibble too.
    return str((int.from_bytes(old, "big") & odp_keys.VLAN_VID_MASK) ^ 0xAA5)


_IP4 = _Kind(_address(odp_keys.parse_ip4), _flipped(odp_keys.format_ip4))
_IP6 = _Kind(_address(odp_keys.parse_ip6), _flipped(odp_keys.format_ip6))
_MAC = _Kind(_mac, _flipped(odp_keys.format_mac))
_PORT = _Kind(_int_value("dec16", 2), _flipped(lambda b: str(int.from_bytes(b, "big"))))
_TUN_ID = _Kind(_int_value("hex64", 8), _flipped(lambda b: "0x%x" % int.from_bytes(b, "big")))
_VID = _Kind(_vid, _vid_probe)

#: (innermost attribute, field) -> the kind of the fields whose values are
#: cut out. Their parsers are the full path's, so they give the same bytes.
PLAIN = {
    ("eth", "src"): _MAC, ("eth", "dst"): _MAC,
    ("ipv4", "src"): _IP4, ("ipv4", "dst"): _IP4,
    ("ipv6", "src"): _IP6, ("ipv6", "dst"): _IP6,
    ("tunnel", "tun_id"): _TUN_ID,
    ("tunnel", "src"): _IP4, ("tunnel", "dst"): _IP4,
    ("tunnel", "ipv6_src"): _IP6, ("tunnel", "ipv6_dst"): _IP6,
    ("tunnel", "tp_src"): _PORT, ("tunnel", "tp_dst"): _PORT,
    ("vlan", "vid"): _VID,
}
for _l4 in ("tcp", "udp", "sctp"):
    PLAIN[(_l4, "src")] = PLAIN[(_l4, "dst")] = _PORT


def _field_of(before: str) -> Tuple[str, str]:
    """(innermost open attribute, field name) of a value that follows the
    text ``before`` (which ends with ``name=``)."""
    depth = 0
    k = len(before) - 1
    while k >= 0:
        ch = before[k]
        if ch == ")":
            depth += 1
        elif ch == "(":
            if depth == 0:
                break
            depth -= 1
        k -= 1
    if k < 0:
        return "", ""
    start = k
    while start > 0 and (before[start - 1].isalnum() or before[start - 1] == "_"):
        start -= 1
    name_start = max(before.rfind(",", k), before.rfind("(", k)) + 1
    return before[start:k], before[name_start:-1]


def _kinds_of(parts: list) -> Optional[list]:
    """The :data:`PLAIN` kinds of the values of a line split at them
    (``parts``), or None if one is not a plain field."""
    kinds = []
    before = ""
    for k in range(1, len(parts), 2):
        before += parts[k - 1]
        kind = PLAIN.get(_field_of(before))
        if kind is None:
            return None
        kinds.append(kind)
        before += parts[k]
    return kinds


class _Template:
    """How the lines of one skeleton encode: ``values`` turn each cut-out
    value into its bytes; ``key`` and ``actions`` are the encoded parts as
    runs of constant bytes and value indexes, in order."""

    __slots__ = ("values", "key", "mask", "actions", "notes")

    def __init__(self, values: list, key: list, mask: bytes, actions: list, notes: tuple):
        self.values = values
        self.key = key
        self.mask = mask
        self.actions = actions
        self.notes = notes

    def encode(self, texts: List[str]) -> Optional[Encoded]:
        got = [value(text) for value, text in zip(self.values, texts)]
        if None in got:
            return None
        return (b"".join([part if part.__class__ is bytes else got[part] for part in self.key]), self.mask,
                b"".join([part if part.__class__ is bytes else got[part] for part in self.actions]), self.notes)


def _runs(encoded: bytes, places: list) -> list:
    """``encoded`` as constant runs and the indexes of the values at
    ``places`` ((start, end, index), sorted, not overlapping)."""
    out = []
    at = 0
    for start, end, i in places:
        if start < at:
            return []
        out.append(encoded[at:start])
        out.append(i)
        at = end
    out.append(encoded[at:])
    return [part for part in out if part != b""]


def _changed(a: bytes, b: bytes) -> Optional[Tuple[int, int]]:
    """The span of bytes where ``a`` and ``b`` (same length) differ, or None
    if they do not."""
    diff = [k for k in range(len(a)) if a[k] != b[k]]
    return (diff[0], diff[-1] + 1) if diff else None


class LineTemplates:
    """Encodes flow lines as ``encode_line`` does (the full path: parse,
    check, canonicalise, encode; it raises DpifError for a bad line), by
    template for lines of a skeleton learnt from two earlier lines."""

    def __init__(self, encode_line: Callable[[str], Encoded]):
        self._encode_line = encode_line
        self._first = {}            # skeleton -> (kinds, values, result) of its first line
        self._templates = {}        # skeleton -> _Template, or None: encoded in full
        self.full = 0               # lines encoded in full, learning included

    def encode(self, line: str) -> Encoded:
        parts = _VALUE.split(line)
        if len(parts) > 1:
            skeleton = "\0".join(parts[0::2])
            texts = parts[1::2]
            template = self._templates.get(skeleton, self)
            if template is not self:
                if template is not None:
                    got = template.encode(texts)
                    if got is not None:
                        return got
                return self._full(line)
            result = self._full(line)      # raises for a bad line: nothing is learnt from it
            self._seen(skeleton, parts, texts, result)
            return result
        return self._full(line)

    def _seen(self, skeleton: str, parts: list, texts: list, result: Encoded) -> None:
        """A line of a skeleton without a template, encoded in full: the
        first of its kind is kept, the second teaches the template. A line
        with a value the template would not take (a zero one) teaches
        nothing: the next line of its kind may."""
        first = self._first.get(skeleton)
        if first is not None:
            if None not in [kind.read(text) for kind, text in zip(first[0], texts)]:
                del self._first[skeleton]
                self._templates[skeleton] = self._learn(parts, first, texts, result)
        elif len(self._first) + len(self._templates) < SKELETONS_MAX:
            kinds = _kinds_of(parts)
            if kinds is None:
                self._templates[skeleton] = None
            elif None not in [kind.read(text) for kind, text in zip(kinds, texts)]:
                self._first[skeleton] = (kinds, texts, result)

    def _full(self, line: str) -> Encoded:
        self.full += 1
        return self._encode_line(line)

    def _learn(self, parts: list, first: tuple, texts: list, result: Encoded) -> Optional[_Template]:
        """The template of the skeleton of ``parts`` (a line split at its
        values), from its first line (``first``: its kinds (:data:`PLAIN`),
        values and encoding) proven on the second (values ``texts``,
        encoded as ``result``);
        None when the lines of this skeleton are to be encoded in full."""
        kinds, base_texts, base = first
        key, mask, actions, notes = base
        key_places, action_places = [], []
        for k, text in enumerate(base_texts):
            old = kinds[k].read(text)
            probe_text = kinds[k].probe(old)
            new = kinds[k].read(probe_text)
            if new is None or any(a == b for a, b in zip(old, new)):
                return None
            probe = self._probe(parts, base_texts, k, probe_text)
            if probe is None:
                return None
            p_key, p_mask, p_actions, p_notes = probe
            if p_mask != mask or p_notes != notes or len(p_key) != len(key) or len(p_actions) != len(actions):
                return None
            in_key, in_actions = _changed(key, p_key), _changed(actions, p_actions)
            if (in_key is None) == (in_actions is None):
                return None             # it changed both, or neither
            span, encoded, probed, places = ((in_key, key, p_key, key_places) if in_key is not None else
                                             (in_actions, actions, p_actions, action_places))
            start, end = span
            if end - start != len(old) or encoded[start:end] != old or probed[start:end] != new:
                return None
            places.append((start, end, k))
        key_runs = _runs(key, sorted(key_places))
        action_runs = _runs(actions, sorted(action_places))
        if (key_places and not key_runs) or (action_places and not action_runs):
            return None                 # two values in one place
        template = _Template([kind.read for kind in kinds], key_runs or [key], mask, action_runs or [actions], notes)
        return template if template.encode(texts) == result else None

    def _probe(self, parts: list, texts: list, k: int, text: str) -> Optional[Encoded]:
        """The full encoding of the line of ``parts`` with value ``k`` spelled
        ``text``, or None if it is refused."""
        texts = texts[:k] + [text] + texts[k + 1:]
        line = "".join(p for pair in zip(parts[0::2], texts + [""]) for p in pair)
        try:
            return self._full(line)
        except DpifError:
            return None
