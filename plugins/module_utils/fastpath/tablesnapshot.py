# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The table a ``src`` run left a datapath with, kept on the managed host.

A re-run over a 100k-line file that changed little (the common case) should
not cost a 100k-flow parse, nor loading 100k parse-cache entries. After a
run that left the datapath holding exactly the flows of its src lines (one
flow per line, nothing else), we keep:

* a digest of the table as a key-less dump reports it: every flow's UFID
  and action bytes, in any order (:class:`TableDigest`);
* the table's text, sorted (``before``/``after`` of a run);
* the src file's bytes, and the fix-up notes of its lines that had some.

The next run dumps the table without keys (cheap), digesting it as it
comes, and compares digests. Equal digests mean the kernel still holds
exactly that table: a file with the same bytes has nothing to do, and
otherwise only the lines that differ from the kept file need parsing and
planning (``resources.flow``); of the dump, that run keeps only those
lines' flows, and it records the digest of the table it leaves as the one
it found with the plan's flows taken out and put in. Any other digest, and
the run takes the full path: a snapshot can make a run faster, never
different.

Like :mod:`.flowcache`, a snapshot is valid only within its context (the
checking options, the port-name map, the ``names`` option) and the code
stamp; a missing, foreign or damaged file is ignored, never trusted: it
lives in the parse cache's root-only directory, and every frame is tagged
with that directory's key and checked before it is used (see
:mod:`.privatestore`). One file per datapath, written atomically, mode 0600.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import hashlib
import marshal
import operator
import os
import struct
from functools import partial
from itertools import repeat
from typing import Dict, List, Optional

from ansible_collections.dpif.ovs.plugins.module_utils.fastpath.flowcache import code_stamp
from ansible_collections.dpif.ovs.plugins.module_utils import privatestore
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import TUNNEL_PAD, actions_without_tunnel_pad

FORMAT = 5
UFID_LEN = 16
_COUNT = struct.Struct("<Q")
_MOD_MASK = (1 << 256) - 1
_digest_of = operator.methodcaller("digest")
_as_number = partial(int.from_bytes, byteorder="little")


class TableDigest:
    """A digest of a flow table, fed flows in any order and in any number of
    calls: each flow as its UFID followed by its action bytes (as a key-less
    dump reports them). It is the digest of the multiset of flows: the sum
    of the flows' SHA-256 (numbers mod 2**256), and their count. So a re-run
    can check a dump against its snapshot a datagram at a time, without
    keeping 100k flows to sort them (in the sandbox their pages cost about
    0.4 s of a no-change run). The alignment PAD the kernel may add to an
    echoed ``set(tunnel)`` is left out, since it varies with where a flow
    lands in the dump."""

    __slots__ = ("total", "count")

    def __init__(self):
        self.total = 0
        self.count = 0

    def add(self, items: List[bytes]) -> None:
        """Add the flows ``items``: hashed and summed by chained C calls,
        without a Python step per flow (except to strip a tunnel PAD)."""
        self.total += _sum_of(items)
        self.count += len(items)

    def remove(self, items: List[bytes]) -> None:
        """Take out flows ``items`` that were added: the digest of the table
        without them. A run that changed a few flows of a digested table
        gets the digest of the table it leaves from the one it found, without
        keeping the table's flows."""
        self.total -= _sum_of(items)
        self.count -= len(items)

    def digest(self) -> bytes:
        total = (self.total & _MOD_MASK).to_bytes(32, "little")
        return hashlib.sha256(_COUNT.pack(self.count) + total).digest()


def _sum_of(items: List[bytes]) -> int:
    pad = TUNNEL_PAD
    if any(map(operator.contains, items, repeat(pad))):
        items = [item[:UFID_LEN] + actions_without_tunnel_pad(item[UFID_LEN:]) if pad in item else item
                 for item in items]
    return sum(map(_as_number, map(_digest_of, map(hashlib.sha256, items))))


def digest_items(items: List[bytes]) -> bytes:
    """The :class:`TableDigest` of ``items``."""
    acc = TableDigest()
    acc.add(items)
    return acc.digest()


class TableSnapshot:
    """One datapath's last src table.

    The file is three tagged frames (:mod:`.privatestore`), read only as
    far as a run needs: the summary (context, digests, notes; marshal), the
    sorted table text (a matching table's ``before``; UTF-8, a line a flow),
    the src file's bytes (only when the src changed). The two big frames
    are written as they are, in pieces: serialising 25 MB of text in one
    piece costs a second of page faults in the sandbox."""

    def __init__(self, store: Optional[privatestore.PrivateDir], name: str, context: tuple):
        self.store = store
        self.name = name
        self.context = repr(context)
        self.stamp = code_stamp()
        self.table_digest = b""                 # digest_items of the table left behind
        self.src_digest = b""                   # sha256 of the src file's bytes
        self.notes: Dict[bytes, tuple] = {}     # src line (as in the file) -> fix-up notes
        self.note_lines: List[tuple] = []       # (line number, note) in that src file
        self._fh = None
        self._reader: Optional[privatestore.FrameReader] = None
        self._texts_at = 0                      # where the text frame starts in the file

    @classmethod
    def for_datapath(cls, datapath: str, context: tuple, directory: Optional[str] = None) -> TableSnapshot:
        return cls(privatestore.open_dir(directory), privatestore.datapath_file_name(datapath, ".table"), context)

    @property
    def path(self) -> str:
        return os.path.join(self.store.path, self.name)

    def _header(self) -> dict:
        return {"format": FORMAT, "stamp": self.stamp, "context": self.context}

    def load(self) -> bool:
        """Read the summary; True when the file holds a snapshot for this
        context and code. The other frames are read by :meth:`texts` and
        :meth:`src_bytes` while the file stays open (:meth:`close`)."""
        self.close()
        if self.stamp is None or self.store is None:
            return False
        fd = self.store.open(self.name)
        if fd is None:
            return False
        self._fh = os.fdopen(fd, "rb")
        try:
            self._reader = privatestore.FrameReader(self._fh, self.store.key)
            meta = marshal.loads(self._reader.frame())
            if not isinstance(meta, dict) or meta.get("header") != self._header():
                self.close()
                return False
            table_digest, src_digest = meta["kernel"], meta["src"]
            notes, note_lines = meta["notes"], meta["note_lines"]
        except (privatestore.BadFile, OSError, EOFError, ValueError, TypeError, KeyError):
            self._drop_damaged()
            return False
        if not (_is_digest(table_digest) and _is_digest(src_digest) and _valid_notes(notes, note_lines)):
            self._drop_damaged()
            return False
        self.table_digest, self.src_digest, self.notes, self.note_lines = table_digest, src_digest, notes, note_lines
        self._texts_at = self._fh.tell()
        return True

    def _rewind(self) -> privatestore.FrameReader:
        """The reader, at the text frame (frame 1)."""
        self._fh.seek(self._texts_at)
        self._reader.index = 1
        return self._reader

    def texts(self) -> Optional[List[str]]:
        """The table's text, sorted; None if the frame cannot be read or
        does not check. Call after a successful :meth:`load`, before
        :meth:`close`."""
        try:
            return _read_lines(self._rewind().pieces())
        except (privatestore.BadFile, OSError, UnicodeDecodeError, AttributeError):
            return None

    def src_bytes(self) -> Optional[bytes]:
        """The src file the table came from, as it was; None if unreadable
        or if it does not check. Call after a successful :meth:`load`,
        before :meth:`close`; the text frame is skipped, not read."""
        try:
            reader = self._rewind()
            reader.skip()
            return reader.frame()
        except (privatestore.BadFile, OSError, ValueError, AttributeError):
            return None

    def close(self) -> None:
        self._reader = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def save(self, table_digest: bytes, src_data: bytes, texts: List[str], notes: Dict[bytes, tuple],
             note_lines: List[tuple]) -> None:
        """Record a table: its digest, its text (sorted), the src file's
        bytes and the notes of its lines."""
        self.close()
        if self.stamp is None or self.store is None:
            return
        meta = {"header": self._header(), "kernel": table_digest, "src": hashlib.sha256(src_data).digest(),
                "notes": notes, "note_lines": note_lines}

        def frames(writer: privatestore.FrameWriter) -> None:
            writer.frame(marshal.dumps(meta))
            _write_lines_frame(writer, texts)
            writer.frame(src_data)
        try:
            fh, _writer = self.store.write_frames(self.name, frames)
            fh.close()
        except OSError:
            pass    # only slower next time

    def _drop_damaged(self) -> None:
        """Remove the file just read and found damaged, unless another run
        has put a new one in its place meanwhile."""
        self.store.drop_damaged(self._fh.fileno(), self.name)
        self.close()

    def discard(self) -> None:
        """Forget the snapshot (the table it describes is gone)."""
        self.close()
        if self.store is not None:
            self.store.unlink(self.name)


def _is_digest(value) -> bool:
    return isinstance(value, bytes) and len(value) == 32


def _valid_notes(notes, note_lines) -> bool:
    """The summary's notes have the shapes :meth:`TableSnapshot.save` writes."""
    return (isinstance(notes, dict) and isinstance(note_lines, list)
            and all(isinstance(raw, bytes) and isinstance(texts, tuple) and all(isinstance(t, str) for t in texts)
                    for raw, texts in notes.items())
            and all(isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], int) and isinstance(item[1], str)
                    for item in note_lines))


def _read_lines(pieces) -> List[str]:
    """The UTF-8 lines of a frame read in ``pieces``, split at newlines:
    the whole frame as one bytes object and one str would double what a
    run touches."""
    lines: List[str] = []
    rest = None
    for chunk in pieces:
        data = rest + chunk if rest else chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        rest = data[cut + 1:]
        lines.extend(data[:cut].decode("utf-8").split("\n"))
    if rest is not None:        # an empty frame is an empty table
        lines.extend(rest.decode("utf-8").split("\n"))
    return lines


def _write_lines_frame(writer: privatestore.FrameWriter, lines: List[str], piece: int = 4096) -> None:
    """A frame of ``lines`` joined by newlines, UTF-8, written ``piece``
    lines at a time."""
    writer.begin()
    for i in range(0, len(lines), piece):
        data = ("\n" if i else "") + "\n".join(lines[i:i + piece])
        writer.piece(data.encode("utf-8"))
    writer.end()
