# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A parse cache for flow files, kept on the managed host.

Reading, checking, canonicalising and encoding one flow line costs about
60 us on a fast machine and twice that inside the UML sandbox: seconds for a
100k-line ``src`` file before the first netlink message. Re-runs over the same
file (the common case: nothing or little changed) look each line up here
instead and parse only new lines.

What is cached is exactly what the line would give again, so a hit can never
differ from a parse:

* keyed by the line's text, within a context that names everything else the
  result depends on: the checking options (``fix``), the port-name map
  (names in flows resolve through it), the ``names`` print option, and a
  stamp of the flow-language source code (a new release parses afresh);
* each entry: UFID, encoded key, mask and actions, printed text, the fix-up
  notes, and the kernel's echo of the actions when it differs in bytes.

It is only a cache: a missing, unreadable, foreign or corrupt file is
ignored (and rewritten), and nothing in it describes kernel state. Files are
written atomically (or appended to), mode 0600, under ``/var/cache/dpif-ovs``
when writable, else ``~/.cache/dpif-ovs``, one per datapath.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import hashlib
import marshal
import os
import pkgutil
import struct
import tempfile
from itertools import islice
from typing import Dict, Optional, Tuple

FORMAT = 3
_ODP_FILES = ("keys.py", "actions.py", "model.py", "rules.py", "text.py", "wire.py", "printer.py", "__init__.py")
_SOURCES = (
    ("ansible_collections.dpif.ovs.plugins.module_utils.odp", _ODP_FILES),
    ("ansible_collections.dpif.ovs.plugins.module_utils", ("flowcache.py",)),
)
_stamp = None

#: line -> (ufid, key, mask, actions, text (None: the line itself), notes, echo)
Entry = Tuple[bytes, bytes, bytes, bytes, str, tuple, Optional[bytes]]


def code_stamp() -> Optional[str]:
    """A digest of the code that produces entries; None if it cannot be read."""
    global _stamp
    if _stamp is None:
        digest = hashlib.sha256()
        try:
            for package, names in _SOURCES:
                for name in names:
                    data = pkgutil.get_data(package, name)
                    if data is None:
                        return None
                    digest.update(data)
        except (OSError, ImportError, ValueError):
            return None
        _stamp = digest.hexdigest()
    return _stamp


def default_dir() -> str:
    env = os.environ.get("DPIF_OVS_CACHE_DIR")
    if env:
        return env
    if os.geteuid() == 0:
        return "/var/cache/dpif-ovs"
    return os.path.join(os.path.expanduser("~"), ".cache", "dpif-ovs")


class FlowCache:
    """The cached lines of one datapath's ``src`` under one context.

    One file per datapath, not per src path: a file templated to a new
    path each run, or a new version of the table next to the old one, still
    finds the lines it shares with the last run.

    The file is a sequence of frames (u64 length + marshal blob): a header,
    then whole or partial ``{line: entry}`` maps, later frames overriding
    earlier ones. A run that learns a few entries appends one small frame
    instead of rewriting a 40 MB file; the file is rewritten whole when
    lines no longer listed make up more than a quarter of it."""

    def __init__(self, path: str, context: tuple):
        self.path = path
        self.context = repr(context)
        self.lines: Dict[str, Entry] = {}
        self.new: Dict[str, Entry] = {}      # put since load: the next frame
        self.loaded = False                  # the file held a valid header for this context
        self.stamp = code_stamp()

    @classmethod
    def for_src(cls, datapath: str, src: str, context: tuple, directory: Optional[str] = None) -> FlowCache:
        """The cache for ``datapath``'s src file (``src`` itself is only
        read, not part of the cache's name)."""
        name = hashlib.sha256(datapath.encode()).hexdigest()[:24]
        cache = cls(os.path.join(directory or default_dir(), name + ".cache"), context)
        cache.load()
        return cache

    @property
    def usable(self) -> bool:
        return self.stamp is not None

    def _header(self) -> dict:
        return {"format": FORMAT, "stamp": self.stamp, "context": self.context}

    def load(self) -> None:
        if not self.usable:
            return
        # One read, then loads per frame: marshal.load on a file object reads
        # object by object through Python calls, 4x slower at 40 MB.
        try:
            with open(self.path, "rb") as fh:
                data = fh.read()
        except OSError:
            return
        lines = {}
        try:
            frames = _frames(data)
            if next(frames, None) != self._header():
                return
            for frame in frames:
                if not isinstance(frame, dict):
                    return
                lines.update(frame)
        except (EOFError, ValueError, TypeError, struct.error):
            return          # corrupt or cut short: start afresh
        self.lines = lines
        self.loaded = True

    def get(self, line: str) -> Optional[Entry]:
        return self.lines.get(line)

    def put(self, line: str, entry: Entry) -> None:
        self.lines[line] = entry
        self.new[line] = entry

    def save(self, keep) -> None:
        """Record the entries put since load. ``keep`` is the file's current
        lines: when the others outweigh a quarter of the cache, the file is
        rewritten with the ``keep`` lines only."""
        if not self.usable:
            return
        stale = len(self.lines) - len(keep)
        if self.loaded and stale * 4 <= len(self.lines):
            if not self.new:
                return
            self._write(self.new, append=True)
        else:
            lines = self.lines if stale <= 0 else dict((k, v) for k, v in self.lines.items() if k in keep)
            self._write(lines, append=False)
        self.new = {}

    def _write(self, lines: dict, append: bool) -> None:
        """Append ``lines`` to the file, or write a new file of them."""
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            if append:
                # Whole frames; load drops a torn last frame, and the
                # frames before it are whole maps of their own.
                with open(self.path, "ab") as fh:
                    _write_map(fh, lines)
                return
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    _write_frame(fh, self._header())
                    _write_map(fh, lines)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
            self.loaded = True
        except OSError:
            pass   # a cache that cannot be written is only slower next time


_FRAME = struct.Struct("<Q")
#: Entries per frame: a 100k-line map marshalled whole is a 40 MB blob,
#: two seconds of page faults in the sandbox; in frames of this many it
#: reuses the same few megabytes.
FRAME_ENTRIES = 4096


def _write_frame(fh, value) -> None:
    blob = marshal.dumps(value)
    fh.write(_FRAME.pack(len(blob)))
    fh.write(blob)


def _write_map(fh, lines: dict) -> None:
    """``lines`` as frames of at most FRAME_ENTRIES entries (a frame only
    adds to the ones before it)."""
    items = iter(lines.items())
    while True:
        part = dict(islice(items, FRAME_ENTRIES))
        if not part:
            return
        _write_frame(fh, part)


def _frames(data: bytes):
    """The marshal objects of ``data``'s frames. A frame cut short (a write
    that did not finish) ends the sequence: what came before it stands."""
    data = memoryview(data)     # frames are read in place, not copied out
    off = 0
    while off + _FRAME.size <= len(data):
        (size,) = _FRAME.unpack_from(data, off)
        off += _FRAME.size
        if off + size > len(data):
            return
        yield marshal.loads(data[off:off + size])
        off += size
