"""odp.overlap against the real kernel: every refusal it predicts is a real EEXIST.

A differential test: seeded random flows of several shapes are built by the
project's own parser, rules and encoder (the bytes ovs_flow sends), the
predictor says which creates the kernel refuses as overlapping, and the
kernel is asked, one create at a time. A predicted refusal that is not a
real EEXIST fails the test; so does a miss on a flow the predictor claims
to model. Smaller tests pin the kernel facts the model rests on.
"""

import errno
import random
import struct

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import FlowDel, FlowPut
from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys, ufid_of_wire
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import canonical
from ansible_collections.dpif.ovs.plugins.module_utils.odp.overlap import OverlapIndex
from ansible_collections.dpif.ovs.plugins.module_utils.odp.rules import validate
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import encode_attrs

SEED = 20260601
SEQUENCES = 10
FLOWS_PER_SEQUENCE = 60
PROBES_PER_SEQUENCE = 25


def encode(line):
    """(key, mask, actions) payloads of a flow line, as ovs_flow sends them
    (resources.flow.Wanted.encode: checked with fix, canonical, encoded)."""
    flow, _notes = validate(parse_flow(line), fix=True, text=line, check_size=False)
    key, mask, actions = canonical(flow).canonical_tuple()
    return encode_attrs(key), encode_attrs(mask), encode_attrs(actions)


def create(dpif, dp, key, mask, actions=b""):
    """Create one flow as ovs_flow does (UFID of its canonical key and
    mask, create only); the errno, 0 on success."""
    put = FlowPut(key=key, mask=mask or None, actions=actions, ufid=ufid_of_wire(key, mask))
    dpif.operate(dp, [put])
    return put.error


# -- random flows ---------------------------------------------------------------------

MACS = ["00:01:02:03:04:0%d" % i for i in range(4)]
DMACS = ["10:11:12:13:14:1%d" % i for i in range(4)]
MAC_MASKS = ["ff:ff:ff:ff:ff:ff", "ff:ff:ff:ff:ff:f0", "ff:ff:ff:ff:ff:fe", "ff:ff:ff:00:00:00"]
IP4 = ["10.0.0.1", "10.0.0.2", "10.0.1.1", "10.1.0.1"]
IP4_MASKS = ["255.255.255.255", "255.255.255.0", "255.255.0.0", "255.0.0.0"]
IP6 = ["2001:db8::1", "2001:db8::2", "2001:db8:1::1", "2001:db9::1"]
IP6_MASKS = ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff::", "ffff:ffff::", "ffff::"]
TP = [80, 81, 443, 8080]
TP_MASKS = ["0xffff", "0xfff0", "0xff00"]


class Gen:
    """Random flow lines; small value pools so that flows overlap often."""

    def __init__(self, seed, out_of_scope=True):
        self.rnd = random.Random(seed)
        self.out_of_scope = out_of_scope    # also flows the predictor leaves to the kernel

    def pick(self, seq):
        return self.rnd.choice(seq)

    def maybe(self, p=0.5):
        return self.rnd.random() < p

    def port(self):
        r = self.rnd.random()
        return "" if r < 0.06 else ("in_port(0)," if r < 0.1 else "in_port(%d)," % self.pick((1, 2)))

    def masked(self, values, masks, exact_bias=0.4):
        value = self.pick(values)
        return value if self.maybe(exact_bias) else "%s/%s" % (value, self.pick(masks))

    def fields(self, parts):
        return ",".join(p for p in parts if p)

    def eth(self):
        src = "src=" + self.masked(MACS, MAC_MASKS) if self.maybe(0.7) else ""
        dst = "dst=" + self.masked(DMACS, MAC_MASKS) if self.maybe(0.5) else ""
        return "eth(%s)" % self.fields([src, dst])

    def frag(self):
        return self.pick(("", "", "frag=no", "frag=no", "frag=first", "frag=later"))

    def l4(self, proto):
        if proto == 1:
            return "icmp(type=%d%s)" % (self.pick((0, 8)), ",code=0" if self.maybe() else "")
        if proto == 58:
            if self.maybe():
                return "icmpv6(type=135),nd(target=%s)" % self.masked(IP6, IP6_MASKS)
            return "icmpv6(type=%d)" % self.pick((128, 129))
        name = {6: "tcp", 17: "udp", 132: "sctp"}[proto]
        src = "src=%d/%s" % (self.pick(TP), self.pick(TP_MASKS)) if self.maybe(0.3) else ""
        dst = "dst=%d/%s" % (self.pick(TP), self.pick(TP_MASKS)) if self.maybe(0.8) else ""
        out = "%s(%s)" % (name, self.fields([src, dst]))
        if proto == 6 and self.maybe(0.2):
            out += ",tcp_flags(%s)" % self.pick(("syn", "syn|ack", "0x2/0x12"))
        return out

    def ip(self, name, eth_type, addrs, masks, protos):
        proto = self.pick(protos)
        frag = self.frag()
        parts = ["src=" + self.masked(addrs, masks) if self.maybe(0.6) else "",
                 "dst=" + self.masked(addrs, masks) if self.maybe(0.5) else "",
                 "proto=%d" % proto if proto else "", frag]
        out = "eth_type(0x%04x),%s(%s)" % (eth_type, name, self.fields(parts))
        # No L4 match on a later fragment: it has no L4 header (the kernel
        # refuses the mask).
        if proto and frag != "frag=later":
            out += "," + self.l4(proto)
        return out

    def ipv4(self):
        return self.ip("ipv4", 0x0800, IP4, IP4_MASKS, (0, 0, 6, 17, 1, 132))

    def ipv6(self):
        return self.ip("ipv6", 0x86DD, IP6, IP6_MASKS, (0, 6, 17, 58))

    def arp(self):
        parts = ["sip=" + self.masked(IP4, IP4_MASKS) if self.maybe() else "",
                 "tip=" + self.masked(IP4, IP4_MASKS) if self.maybe() else "",
                 "op=%d" % self.pick((1, 2)) if self.maybe() else ""]
        return "eth_type(0x0806),arp(%s)" % self.fields(parts)

    def payload(self):
        """What follows eth(): an eth_type and its headers, or nothing."""
        r = self.rnd.random()
        if r < 0.1:
            return ""
        if r < 0.2:
            return "eth_type(0x%04x)" % self.pick((0x1234, 0x88cc))
        if r < 0.55:
            return self.ipv4()
        if r < 0.8:
            return self.ipv6()
        return self.arp()

    def vlan(self):
        vid = self.pick((5, 6))
        tci = "vid=%d" % vid if self.maybe(0.6) else "vid=%d/0xff0" % vid
        tci += ",pcp=%d" % self.pick((0, 3)) if self.maybe(0.3) else ""
        inner = self.payload() or "eth_type(0x1234)"
        if self.maybe(0.15):       # QinQ
            inner = "eth_type(0x8100),vlan(vid=%d),encap(%s)" % (self.pick((1, 2)), inner)
            return "eth_type(0x88a8),vlan(%s),encap(%s)" % (tci, inner)
        return "eth_type(0x8100),vlan(%s),encap(%s)" % (tci, inner)

    def metadata(self):
        parts = []
        if self.maybe(0.1):
            parts.append("skb_priority(%d)" % self.pick((1, 2)))
        if self.maybe(0.1):
            parts.append("skb_mark(%s)" % self.pick(("5", "5/0xf", "0x15")))
        if self.maybe(0.1):
            parts.append("recirc_id(%d)" % self.pick((0, 3)))
        if self.maybe(0.05):
            parts.append("dp_hash(%s)" % self.pick(("0x5/0xf", "0x15")))
        return "".join(p + "," for p in parts)

    def flow(self):
        """One flow line, of a random shape."""
        r = self.rnd.random()
        head = self.metadata() + self.port()
        action = " %d" % self.pick((1, 2))
        if r < 0.03:
            return head + "eth()" + action                               # wide: all Ethernet frames
        if r < 0.08:
            return head + self.ipv4() + action                          # L3 flow (no eth())
        if r < 0.11 and self.out_of_scope:
            return "ct_label(0x%x/0xf)," % self.pick((1, 5)) + head + "eth()" + action   # out of scope
        if r < 0.25:
            return head + self.eth() + "," + self.vlan() + action
        payload = self.payload()
        return head + self.eth() + ("," + payload if payload else "") + action


def key_in_scope(key):
    """Whether the predictor models this key."""
    probe = OverlapIndex()
    probe.add(key, b"", "self")     # an exact flow of this key
    return probe.first_match(key) == "self"


def _tally():
    return {"creates": 0, "refused": 0, "predicted": 0, "false_positives": 0, "missed_in_scope": 0,
            "exact": 0, "einval": 0}


def test_differential_against_kernel(dpif, fdp, capsys):
    """Sequences of creates: predicted refusals versus the kernel's EEXIST."""
    dp = fdp
    batch, probes = _tally(), _tally()
    failures = []
    for seq in range(SEQUENCES):
        # Every other sequence has only flows the predictor models: its
        # answers there must be exact, misses included.
        gen = Gen(SEED + seq, out_of_scope=bool(seq % 2))
        dpif.flow_flush(dp)
        index = OverlapIndex()
        seen = set()
        for _i in range(FLOWS_PER_SEQUENCE):
            line = gen.flow()
            key, mask, actions = encode(line)
            ufid = ufid_of_wire(key, mask)
            if ufid in seen:
                continue        # the same flow twice: ovs_flow lists each flow once
            seen.add(ufid)
            predicted = index.first_match(key)
            scoped = key_in_scope(key)
            real = create(dpif, dp, key, mask, actions)
            _score(batch, failures, "seq %d: %s" % (seq, line), predicted, real, scoped and not index.skipped)
            if real == 0:
                index.add(key, mask, line)
        _probe_from_dump(dpif, dp, gen, seq, probes, failures)
    with capsys.disabled():
        for name, tally in (("batches", batch), ("probes of dumped tables", probes)):
            print("\noverlap differential, %s: %d creates, %d refused by the kernel (EEXIST), %d of them predicted, "
                  "%d false positives; %d creates checked for exact answers (misses included)"
                  % (name, tally["creates"], tally["refused"], tally["predicted"], tally["false_positives"],
                     tally["exact"]))
    assert not failures, "\n".join(failures[:20])
    assert batch["false_positives"] == probes["false_positives"] == 0
    # The generator must exercise the predictor, not just agree with "never".
    assert batch["refused"] >= 50 and batch["predicted"] >= 0.9 * batch["refused"]
    assert probes["refused"] >= 20 and probes["predicted"] >= 0.9 * probes["refused"]


def _score(tally, failures, what, predicted, real, exact):
    """Count one create; a wrong answer goes to ``failures``: a predicted
    refusal the kernel did not make, a refusal missed where the answer must
    be ``exact`` (a key the predictor models, every installed flow
    indexed), any error but EEXIST."""
    tally["creates"] += 1
    tally["exact"] += exact
    if real == errno.EEXIST:
        tally["refused"] += 1
        tally["predicted"] += predicted is not None
    if predicted is not None and real != errno.EEXIST:
        tally["false_positives"] += 1
        failures.append("%s: predicted a refusal for overlapping %r; the kernel said %s"
                        % (what, predicted, errno.errorcode.get(real, real) if real else "ok"))
    elif predicted is None and real == errno.EEXIST and exact:
        tally["missed_in_scope"] += 1
        failures.append("%s: refused by the kernel, and the predictor models it but said no" % what)
    elif real not in (0, errno.EEXIST):
        tally["einval"] += real == errno.EINVAL
        failures.append("%s: %s (the project's rules took a flow the kernel refuses)"
                        % (what, errno.errorcode.get(real, real)))


def _probe_from_dump(dpif, dp, gen, seq, tally, failures):
    """Index the table as the kernel dumps it (its masked keys, its masks)
    and probe it with new flows, each removed again if it went in."""
    index = OverlapIndex()
    for dumped in dpif.flow_dump(dp):
        index.add(dumped.key, dumped.mask, dumped.ufid)
    for _i in range(PROBES_PER_SEQUENCE):
        line = gen.flow()
        key, mask, actions = encode(line)
        predicted = index.first_match(key)
        scoped = key_in_scope(key)
        real = create(dpif, dp, key, mask, actions)
        _score(tally, failures, "seq %d probe: %s" % (seq, line), predicted, real, scoped and not index.skipped)
        if real == 0:
            dpif.operate(dp, [FlowDel(ufid=ufid_of_wire(key, mask))])


# -- the kernel facts the model rests on ------------------------------------------------

def _raw(attrs):
    return encode_attrs(attrs)


IN_PORT_1 = (keys.KEY_IN_PORT, struct.pack("=I", 1))
IN_PORT_EXACT = (keys.KEY_IN_PORT, b"\xff" * 4)


def _eth(src=bytes(6), dst=bytes(6)):
    return (keys.KEY_ETHERNET, src + dst)


def _sequence(dpif, dp, flows):
    """Create ``flows`` ((key, mask) payloads) in order on an empty table:
    (what the predictor says, what the kernel says) for each."""
    dpif.flow_flush(dp)
    index = OverlapIndex()
    out = []
    for key, mask in flows:
        predicted = index.create(key, mask, len(out))
        out.append((predicted, create(dpif, dp, key, mask)))
    return out


def test_new_key_is_looked_up_unmasked(dpif, fdp):
    """The kernel looks the new key up as sent, not masked by its own mask."""
    src = bytes([0, 1, 2, 3, 4, 5])
    exact = (_raw([IN_PORT_1, _eth(src)]), _raw([IN_PORT_EXACT, _eth(b"\xff" * 6)]))
    loose = (_raw([IN_PORT_1, _eth(src)]), _raw([IN_PORT_EXACT, _eth(b"\xff" * 5 + b"\xf0")]))
    masked = (_raw([IN_PORT_1, _eth(src[:5] + b"\0")]), loose[1])
    assert _sequence(dpif, fdp, [exact, loose]) == [(None, 0), (0, errno.EEXIST)]
    assert _sequence(dpif, fdp, [exact, masked]) == [(None, 0), (None, 0)]


def test_eth_without_eth_type_is_802_2(dpif, fdp):
    """A key without eth_type holds 802.2's (0x0004): a flow whose mask
    matches eth_type exactly, its key having none, takes exactly those."""
    only_802_2 = (_raw([IN_PORT_1, _eth()]), _raw([IN_PORT_EXACT, (keys.KEY_ETHERTYPE, b"\xff\xff")]))
    plain = (_raw([IN_PORT_1, _eth()]), _raw([IN_PORT_EXACT, _eth(b"\xff" * 6)]))
    assert _sequence(dpif, fdp, [only_802_2, plain]) == [(None, 0), (0, errno.EEXIST)]
    ip = encode("in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 1")[:2]
    assert _sequence(dpif, fdp, [only_802_2, ip]) == [(None, 0), (None, 0)]


def test_port_less_key_is_no_port(dpif, fdp):
    """A key without in_port does not match a flow on port 0 (the local
    port); a flow without in_port matches every port."""
    assert _sequence(dpif, fdp, [encode("in_port(0),eth() 1")[:2],
                                 encode("eth(),eth_type(0x0800),ipv4(frag=no) 1")[:2]]) == [(None, 0), (None, 0)]
    assert _sequence(dpif, fdp, [encode("eth() 1")[:2],
                                 encode("in_port(0),eth(),eth_type(0x0800),ipv4(frag=no) 1")[:2]]) == [(None, 0), (0, errno.EEXIST)]


def test_untagged_flow_never_matches_tagged(dpif, fdp):
    """The kernel matches the VLAN TCI of every flow: a flow that says
    nothing of VLANs takes untagged frames only."""
    wide = encode("in_port(1),eth() 1")[:2]
    tagged = encode("in_port(1),eth(),eth_type(0x8100),vlan(vid=5),encap(eth_type(0x0800),ipv4(frag=no)) 1")[:2]
    any_vid = encode("in_port(1),eth(),eth_type(0x8100),vlan(vid=5/0),encap(eth_type(0x0800)) 1")[:2]
    assert _sequence(dpif, fdp, [wide, tagged]) == [(None, 0), (None, 0)]
    assert _sequence(dpif, fdp, [tagged, wide]) == [(None, 0), (None, 0)]
    assert _sequence(dpif, fdp, [any_vid, tagged]) == [(None, 0), (0, errno.EEXIST)]


def test_out_of_scope_overlaps_left_to_the_kernel(dpif, fdp):
    """A real overlap on ct_label is not predicted (the model leaves CT
    fields to the kernel), and nothing false is."""
    assert _sequence(dpif, fdp, [encode("ct_label(0x5/0xf),in_port(1),eth() 1")[:2],
                                 encode("ct_label(0x15),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 1")[:2]]) \
        == [(None, 0), (None, errno.EEXIST)]
