# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_flow``: reading the kernel's flow table.

* :func:`read_table`: the installed flows as :class:`..planner.HaveFlow`,
  keyed by identity (the UFID of the canonical key and mask), for planning;
* :func:`digest_dump`: the table streamed into a :class:`..tablesnapshot.TableDigest`
  (the snapshot path compares it with the digest a run recorded);
* :func:`gather`: every installed flow's text, for ``state: gathered``.

Reading never changes the table. Errors are DpifError: a flow the kernel
reports that cannot be decoded names "datapath 'DP' dump"; a datapath that
is not there is the dump's ENODEV.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from typing import TYPE_CHECKING, Dict, FrozenSet, List, Optional, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils import planner
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.frontend import Dpif
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.odp import flow_ufid
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.flow_reply import FLOW_ATTR_ACTIONS, FLOW_ATTR_UFID, attribute_spans
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import canonical
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import decode_flow
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_text import error_at, new_printer
from ansible_collections.dpif.ovs.plugins.module_utils.fastpath.tablesnapshot import TableDigest

if TYPE_CHECKING:
    from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_wanted import Wanted

#: Flows added to a digest at a time by :func:`digest_dump`.
KEYLESS_SLICE = 1024


def read_table(dpif: Dpif, dp: str, wanted: Optional[Wanted]) -> Dict[bytes, planner.HaveFlow]:
    """The installed flows keyed by identity. Flows we installed (their UFID
    is a wanted one) are not decoded: the UFID already says what they match."""
    known = wanted.by_ufid if wanted is not None else {}
    have = {}
    HaveFlow = planner.HaveFlow
    if not known:
        for df in dpif.flow_dump(dp):
            _have_foreign(have, df, dp)
        return have
    # With wanted flows, dump without keys and masks: a flow carrying a
    # wanted UFID is that flow (the UFID hashes its canonical key and mask),
    # so the key and mask we sent stand in for the kernel's. Any other flow
    # is read again, whole, by a second dump (the kernel leaves out the mask
    # of key-identified flows too, when asked to omit keys).
    foreign = False
    for df in dpif.flow_dump(dp, keys=False):
        w = known.get(df.ufid) if df.ufid is not None else None
        if w is not None:
            have[w.ufid] = HaveFlow(w.ufid, w.ufid, w.key, w.mask, df.actions or b"", df.stats.packets,
                                    df.stats.bytes)
        else:
            foreign = True
    if foreign:
        for df in dpif.flow_dump(dp):
            if df.ufid is None or df.ufid not in known:
                _have_foreign(have, df, dp)
    return have


def digest_dump(dpif: Dpif, dp: str, digest: TableDigest,
                keep: FrozenSet[bytes] = frozenset()) -> Tuple[Dict[bytes, bytes], bool]:
    """Add the table to ``digest`` as a key-less dump reports it: each UFID
    flow as its UFID followed by its action bytes, KEYLESS_SLICE flows at a
    time. None of it is kept but the actions of the flows whose UFID is in
    ``keep``: 100k flows held at once cost seconds of page faults in the
    sandbox, streamed they cost a tenth of that. Returns those actions by
    UFID, and whether flows without a UFID (only a full dump names those;
    a snapshot never holds one) were left out."""
    items = []
    append = items.append
    kept = {}
    anonymous = False
    # Read from the replies themselves: a DumpedFlow per flow would cost
    # about 0.25 s more per 100k flows on the host (3.4 against 1.7 us).
    walk = attribute_spans
    for data, replies in dpif.flow_dump_replies(dp, keys=False):
        for start, end in replies:
            spans = walk(data, start, end)[0]
            ufid = spans.get(FLOW_ATTR_UFID)
            if ufid is None:
                anonymous = True
                continue
            ufid = data[ufid[0]:ufid[1]]
            actions = spans.get(FLOW_ATTR_ACTIONS)
            actions = data[actions[0]:actions[1]] if actions is not None else b""
            append(ufid + actions)
            if ufid in keep:
                kept[ufid] = actions
            if len(items) == KEYLESS_SLICE:
                digest.add(items)
                items.clear()
    digest.add(items)
    return kept, anonymous


def _have_foreign(have: Dict[bytes, planner.HaveFlow], df, dp: str) -> None:
    """A flow not installed by this list: identified by its canonical key and mask."""
    actions = df.actions or b""
    try:
        ident = flow_ufid(canonical(decode_flow(df.key or b"", df.mask, actions)))
    except DpifError as exc:
        raise error_at(exc, "datapath '%s' dump" % dp) from None
    have[ident] = planner.HaveFlow(ident, df.ufid, df.key or b"", df.mask, actions, df.stats.packets, df.stats.bytes)


def gather(dpif: Dpif, dp: str, names: Optional[dict]) -> List[str]:
    """Every installed flow's text, sorted: printed straight from the dump's
    bytes (no identity, no canonical form is needed to print)."""
    texts = new_printer(names).reply_texts
    out = []
    try:
        for data, spans in dpif.flow_dump_replies(dp):
            out += texts(data, spans)
    except DpifError as exc:
        raise error_at(exc, "datapath '%s' dump" % dp) from None
    out.sort()
    return out
