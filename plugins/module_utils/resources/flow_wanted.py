# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``ovs_flow``: the wanted flows, checked and encoded.

:func:`load_wanted` reads the task's ``config`` (texts in ovs-dpctl syntax,
or mappings in the structured form) and its ``src`` file (one flow per
line; blank and ``#`` lines skipped), checks every flow against the
kernel's rules (completing it with ``fix``), and encodes it canonically.
The result is a :class:`Wanted`: the flows in list order, each with its
UFID (the identity of its canonical key and mask), and where it was listed.

Errors are DpifError EINVAL naming where the flow was listed ("config[3]",
"FILE line 7"), raised before anything is sent: one bad flow and the run
changes nothing. A src file's lines already seen are taken from the parse
cache (:mod:`..flowcache`) instead of being parsed again.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
from typing import Dict, List, Optional, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils import planner
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.fastpath.flowcache import FlowCache
from ansible_collections.dpif.ovs.plugins.module_utils.odp import ufid_of_wire
from ansible_collections.dpif.ovs.plugins.module_utils.odp.model import Flow, canonical
from ansible_collections.dpif.ovs.plugins.module_utils.odp.rules import check_encoded_size, validate
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import encode_attrs
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_text import error_at, want_text
from ansible_collections.dpif.ovs.plugins.module_utils.srcfile import MAX_LINE_BYTES, read_src


def structured_form():
    """The structured form's module, imported on first use: it loads
    jsonschema, about 0.3 s of a task's start-up in the sandbox, which a
    text-only or src run never needs."""
    from ansible_collections.dpif.ovs.plugins.module_utils.odp import structured
    return structured


class Wanted:
    """The listed flows, checked, canonical and encoded, in list order."""

    def __init__(self, fix: bool):
        self.fix = fix
        self.flows: List[planner.WantFlow] = []
        self.by_ufid: Dict[bytes, planner.WantFlow] = {}
        # Where each flow was listed: "config[3]", or a src line number (an
        # int: 100k "file line N" strings would cost memory for no reader).
        self.where: Dict[bytes, object] = {}
        self.src: Optional[str] = None
        self.src_data = b""         # the src file's bytes
        self.notes: List[str] = []
        self.flow_notes: Dict[bytes, tuple] = {}     # only flows with notes
        self.cache: Optional[FlowCache] = None
        self.src_lines: List[tuple] = []     # (line, want, cache entry | None) of the src file
        # One bytes object per distinct mask and action list: a table has
        # few masks and recurring actions, and 100k copies cost megabytes.
        self._shared: Dict[bytes, bytes] = {}

    def where_text(self, where) -> str:
        return "%s line %d" % (self.src, where) if where.__class__ is int else where

    def add(self, flow: Flow, where, source: Optional[str]) -> planner.WantFlow:
        try:
            encoded = self.encode(flow, source)
        except DpifError as exc:
            raise error_at(exc, self.where_text(where)) from None
        return self.add_encoded(encoded, where)

    def encode(self, flow: Flow, source: Optional[str]) -> tuple:
        """The flow checked (and completed, with ``fix``), canonical and
        encoded: ``(key, mask, actions, notes)``; DpifError if it is bad."""
        flow, notes = validate(flow, fix=self.fix, text=source, check_size=False)
        key, mask, actions = canonical(flow).canonical_tuple()
        key_b, mask_b, actions_b = encode_attrs(key), encode_attrs(mask), encode_attrs(actions)
        check_encoded_size(source or "", key_b, mask_b, actions_b)
        return key_b, mask_b, actions_b, tuple(notes)

    def add_encoded(self, encoded: tuple, where) -> planner.WantFlow:
        """Add a flow given as :meth:`encode` returns it."""
        key_b, mask_b, actions_b, notes = encoded
        shared = self._shared
        mask_b = shared.setdefault(mask_b, mask_b)
        actions_b = shared.setdefault(actions_b, actions_b)
        # The model is not kept: the bytes say it all, and 100k models would
        # cost about 3 KB each. canonical_flow() decodes the few needed again.
        want = planner.WantFlow(ufid=ufid_of_wire(key_b, mask_b), flow=None, key=key_b, mask=mask_b,
                                actions=actions_b)
        return self._register(want, notes, where)

    def add_cached(self, entry: tuple, where, line: str) -> planner.WantFlow:
        ufid, key, mask, actions, text, notes, echo = entry
        # text None: the line is already printed the way dump-flows prints it.
        want = planner.WantFlow(ufid, None, key, mask, actions, line if text is None else text, echo)
        return self._register(want, tuple(notes) if notes else (), where)

    def _register(self, want: planner.WantFlow, notes: tuple, where) -> planner.WantFlow:
        for note in notes:
            self.notes.append("%s: %s" % (self.where_text(where), note))
        prev = self.by_ufid.get(want.ufid)
        if prev is not None:
            # Both are canonical encodings: equal actions are equal bytes.
            if prev.actions != want.actions:
                raise DpifError(errno.EINVAL, "check flows", self.where_text(where),
                                "the same flow (same key and mask) as %s, with other actions; list each flow once"
                                % self.where_text(self.where[want.ufid]))
            return prev
        self.flows.append(want)
        self.by_ufid[want.ufid] = want
        self.where[want.ufid] = where
        if notes:
            self.flow_notes[want.ufid] = notes
        return want

    def save_cache(self, names: Optional[dict]) -> None:
        """Store what this run learned about the src file's lines."""
        cache = self.cache
        if cache is None or not cache.usable:
            return
        keep = set()
        for line, want, cached in self.src_lines:
            keep.add(line)
            if cached is not None and cached[6] == want.echo:
                continue            # a hit that learned nothing new
            text = want_text(want, names)
            entry = (want.ufid, want.key, want.mask, want.actions, None if text == line else text,
                     self.flow_notes.get(want.ufid, ()), want.echo)
            if cached != entry:
                cache.put(line, entry)
        cache.save(keep)


def load_wanted(params: dict, port_numbers: Optional[dict], datapath: Optional[str] = None) -> Wanted:
    """The flows of ``params`` (``config``, then ``src``), checked and
    encoded; port names resolved with ``port_numbers`` (name -> number;
    None: names are refused). With ``datapath`` (and ``cache`` not false) a
    src file's lines go through that datapath's parse cache. DpifError
    EINVAL for a bad flow, naming where it was listed."""
    from ansible_collections.dpif.ovs.plugins.module_utils.fastpath.line_templates import LineTemplates
    # Imported on use (the text syntax's start-up cost: see flow_text), and looked up on
    # odp.text at each call, never kept here: tests replace it there to count parses.
    from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow
    wanted = Wanted(fix=params.get("fix", True))
    for i, item in enumerate(params.get("config") or []):
        where = "config[%d]" % i
        try:
            if isinstance(item, str):
                if len(item) > MAX_LINE_BYTES:
                    raise DpifError(errno.EINVAL, "check flows", "", "the flow is %d characters long; a flow "
                                    "may be at most %d KiB of text" % (len(item), MAX_LINE_BYTES >> 10))
                flow = parse_flow(item, port_numbers=port_numbers)
                source = item
            elif isinstance(item, dict):
                flow = structured_form().flow_from_struct(item, port_numbers=port_numbers)
                source = None
            else:
                raise DpifError(errno.EINVAL, "check flows", "",
                                "a flow is a string in ovs-dpctl syntax or a mapping, not %s" % type(item).__name__)
        except DpifError as exc:
            raise error_at(exc, where) from None
        wanted.add(flow, where, source)
    src = params.get("src")
    if src:
        data = read_src(src)
        lines, nums = src_lines(data, src)
        wanted.src = src
        wanted.src_data = data
        cache = None
        if datapath and params.get("cache", True):
            cache = wanted.cache = FlowCache.for_src(datapath, src, _context(params, port_numbers))
        # Lines of one kind that differ in addresses, ports and tunnel ids
        # are encoded by template after the first two (see line_templates).
        templates = LineTemplates(lambda line: wanted.encode(parse_flow(line, port_numbers=port_numbers), line))
        for n, line in zip(nums, lines):
            entry = cache.get(line) if cache is not None else None
            if entry is not None:
                want = wanted.add_cached(entry, n, line)
            else:
                try:
                    encoded = templates.encode(line)
                except DpifError as exc:
                    raise error_at(exc, wanted.where_text(n)) from None
                want = wanted.add_encoded(encoded, n)
            wanted.src_lines.append((line, want, entry))
    return wanted


def src_lines(data: bytes, src: str) -> Tuple[List[str], List[int]]:
    """The flow lines of a src file's bytes (:func:`_flow_line`) and their line numbers."""
    lines, nums = [], []
    for n, raw in enumerate(_raw_lines(data), 1):
        line = _flow_line(raw, src, n)
        if line is not None:
            lines.append(line)
            nums.append(n)
    return lines, nums


def _raw_lines(data: bytes) -> List[bytes]:
    """A src file's lines as bytes; line ends as open() in text mode reads them."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data.split(b"\n")


def _flow_line(raw: bytes, src: str, n: int) -> Optional[str]:
    """The flow of src line ``n`` (UTF-8), stripped; None for a blank or ``#`` line."""
    if len(raw) > MAX_LINE_BYTES:
        raise DpifError(errno.EINVAL, "read flows", "src '%s' line %d" % (src, n),
                        "the line is %d bytes long; a flow line may be at most %d KiB"
                        % (len(raw), MAX_LINE_BYTES >> 10))
    try:
        line = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise DpifError(errno.EINVAL, "read flows", "src '%s' line %d" % (src, n),
                        "byte %d of the line is not UTF-8 text (%s)" % (exc.start + 1, exc.reason)) from None
    return line if line and line[0] != "#" else None


def _context(params: dict, port_numbers: Optional[dict]) -> tuple:
    """What a src line's parse depends on besides its text (caches are kept per context)."""
    return (params.get("fix", True), tuple(sorted((port_numbers or {}).items())), bool(params.get("names")))
