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

It is only a cache: a missing, foreign or damaged file is dropped and
rewritten, never trusted (see :mod:`.privatestore`: a root-only directory,
files checked with ``fstat``, every frame tagged with a root-only key and
checked before ``marshal`` reads it, each entry's shape checked when it is
used), and nothing in it describes kernel state. Files are written
atomically or appended to (under a lock, and only to the file that was
loaded), mode 0600, one per datapath.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import fcntl
import hashlib
import marshal
import os
import pkgutil
from itertools import islice
from typing import Dict, Optional, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils.privatestore import (
    BadFile,
    FrameReader,
    FrameWriter,
    PrivateDir,
    datapath_file_name,
    open_dir,
)

FORMAT = 4
_ODP_FILES = ("keys.py", "actions.py", "model.py", "rules.py", "wire.py", "__init__.py")
# Every file of the odp.text package. Read as paths below odp, not from
# odp.text: pkgutil.get_data imports the package it reads from, and the
# table-snapshot path, which stamps too, must not load the text syntax.
_TEXT_FILES = ("__init__.py", "scanner.py", "tunnel.py", "key_fields.py", "key_numbers.py", "key_headers.py",
               "key_codecs.py", "key_parse.py", "key_print.py", "cookie.py",
               "actions_basic.py", "actions_ct.py", "actions_nested.py", "action_table.py")
_SOURCES = (
    ("ansible_collections.dpif.ovs.plugins.module_utils.odp", _ODP_FILES),
    ("ansible_collections.dpif.ovs.plugins.module_utils.odp", tuple("text/" + name for name in _TEXT_FILES)),
    ("ansible_collections.dpif.ovs.plugins.module_utils.fastpath", ("printer.py", "line_templates.py", "flowcache.py")),
    ("ansible_collections.dpif.ovs.plugins.module_utils", ("privatestore.py",)),
    # The attribute header and walk the encoder and the printers use.
    ("ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink", ("framing.py",)),
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


def valid_entry(entry) -> bool:
    """Whether a cached value has the shape of an :data:`Entry`. Checked
    at each hit (about 1.8 us on the host: 0.18 s for a 100k-line file,
    which runs that load the whole cache pay; the snapshot path does not)."""
    if not (isinstance(entry, tuple) and len(entry) == 7):
        return False
    ufid, key, mask, actions, text, notes, echo = entry
    return (isinstance(ufid, bytes) and len(ufid) == 16 and isinstance(key, bytes) and isinstance(mask, bytes)
            and isinstance(actions, bytes) and (text is None or isinstance(text, str))
            and isinstance(notes, tuple) and (not notes or all(isinstance(note, str) for note in notes))
            and (echo is None or isinstance(echo, bytes)))


class FlowCache:
    """The cached lines of one datapath's ``src`` under one context.

    One file per datapath, not per src path: a file templated to a new
    path each run, or a new version of the table next to the old one, still
    finds the lines it shares with the last run.

    The file is a sequence of tagged frames (:mod:`.privatestore`), each
    a marshal blob: a header,
    then whole or partial ``{line: entry}`` maps, later frames overriding
    earlier ones. A run that learns a few entries appends one small frame
    instead of rewriting a 40 MB file; the file is rewritten whole when
    lines no longer listed make up more than a quarter of it."""

    def __init__(self, store: Optional[PrivateDir], name: str, context: tuple):
        self.store = store
        self.name = name
        self.context = repr(context)
        self.lines: Dict[str, Entry] = {}
        self.new: Dict[str, Entry] = {}      # put since load: the next frame
        self.loaded = False                  # the file held a valid header for this context
        self.stamp = code_stamp()
        # The file loaded (or last written), kept open: appends go to this
        # inode, at this size, with the next frame index under its nonce.
        self._fh = None
        self._size = 0
        self._nonce = b""
        self._index = 0

    @classmethod
    def for_src(cls, datapath: str, src: str, context: tuple, directory: Optional[str] = None) -> FlowCache:
        """The cache for ``datapath``'s src file (``src`` itself is only
        read, not part of the cache's name)."""
        cache = cls(open_dir(directory), datapath_file_name(datapath, ".cache"), context)
        cache.load()
        return cache

    @property
    def usable(self) -> bool:
        return self.stamp is not None and self.store is not None

    @property
    def path(self) -> str:
        return os.path.join(self.store.path, self.name)

    def _header(self) -> dict:
        return {"format": FORMAT, "stamp": self.stamp, "context": self.context}

    def load(self) -> None:
        if not self.usable:
            return
        fd = self.store.open(self.name, writable=True)
        if fd is None:
            return
        fh = os.fdopen(fd, "r+b")
        lines = {}
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)      # not half of another run's append
            reader = FrameReader(fh, self.store.key)
            header = marshal.loads(reader.frame())
            if header != self._header():
                fh.close()
                return
            while not reader.at_end():
                frame = marshal.loads(reader.frame())
                if not isinstance(frame, dict):
                    raise BadFile("not a map of lines")
                lines.update(frame)
        except (BadFile, OSError, EOFError, ValueError, TypeError):
            self.store.drop_damaged(fd, self.name)     # rebuilt by this run's save
            fh.close()
            return
        finally:
            if not fh.closed:
                fcntl.flock(fd, fcntl.LOCK_UN)
        self.lines = lines
        self.loaded = True
        self._keep(fh, reader.size, reader.nonce, reader.index)

    def _keep(self, fh, size: int, nonce: bytes, index: int) -> None:
        self.close()
        self._fh, self._size, self._nonce, self._index = fh, size, nonce, index

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def get(self, line: str) -> Optional[Entry]:
        entry = self.lines.get(line)
        if entry is None or valid_entry(entry):
            return entry
        del self.lines[line]        # a shape this code never writes: parse the line instead
        return None

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
        try:
            if self.loaded and stale * 4 <= len(self.lines):
                if not self.new or self._append(self.new):
                    self.new = {}
                    return
                stale = 0       # another run changed the file: write ours whole
            lines = self.lines if stale <= 0 else dict((k, v) for k, v in self.lines.items() if k in keep)
            self._write(lines)
            self.new = {}
        except OSError:
            pass   # a cache that cannot be written is only slower next time

    def _append(self, lines: dict) -> bool:
        """Append ``lines`` to the loaded file; False when that file is no
        longer the cache or no longer as loaded (then it is not touched)."""
        fd = self._fh.fileno()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.fstat(fd).st_size != self._size or not self.store.same_file(fd, self.name):
                return False
            self._fh.seek(self._size)
            writer = FrameWriter(self._fh, self.store.key, self._nonce, self._index)
            _write_map(writer, lines)
            self._fh.flush()
            self._size, self._index = self._fh.tell(), writer.index
            return True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _write(self, lines: dict) -> None:
        """Write a new file of ``lines`` in the cache's place."""
        def frames(writer: FrameWriter) -> None:
            writer.frame(marshal.dumps(self._header()))
            _write_map(writer, lines)
        fh, writer = self.store.write_frames(self.name, frames)
        self.loaded = True
        self._keep(fh, fh.tell(), writer.nonce, writer.index)


#: Entries per frame: a 100k-line map marshalled whole is a 40 MB blob,
#: two seconds of page faults in the sandbox; in frames of this many it
#: reuses the same few megabytes.
FRAME_ENTRIES = 4096


def _write_map(writer: FrameWriter, lines: dict) -> None:
    """``lines`` as frames of at most FRAME_ENTRIES entries (a frame only
    adds to the ones before it)."""
    items = iter(lines.items())
    while True:
        part = dict(islice(items, FRAME_ENTRIES))
        if not part:
            return
        writer.frame(marshal.dumps(part))
