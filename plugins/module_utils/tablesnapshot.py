# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The table a ``src`` run left a datapath with, kept on the managed host.

A re-run over a 100k-line file that changed little (the common case) should
not cost a 100k-flow parse, nor loading 100k parse-cache entries. After a
run that left the datapath holding exactly the flows of its src lines (one
flow per line, nothing else), we keep:

* the src's effective lines (stripped, no comments) in file order, and the
  UFID of each line's flow;
* the table's text, sorted (``before``/``after`` of a run);
* the fix-up notes of the lines that had some;
* a digest of the table as a key-less dump reports it: every flow's UFID
  and action bytes (:func:`table_digest`).

The next run dumps the table without keys (cheap) and compares digests.
Equal digests mean the kernel still holds exactly that table, so only the
lines that differ from the kept ones need parsing and planning
(``resources.flow``). Any other digest, and the run takes the full path: a
snapshot can make a run faster, never different.

Like :mod:`.flowcache`, a snapshot is valid only within its context (the
checking options, the port-name map, the ``names`` option) and the code
stamp; a missing, foreign or corrupt file is ignored. One file per
datapath, next to its parse cache, written atomically, mode 0600.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import hashlib
import marshal
import os
import tempfile
from typing import Dict, List, Optional

from ansible_collections.dpif.ovs.plugins.module_utils.flowcache import code_stamp, default_dir
from ansible_collections.dpif.ovs.plugins.module_utils.odp.wire import actions_without_tunnel_pad

FORMAT = 1
UFID_LEN = 16


def table_digest(actions_by_ufid: Dict[bytes, bytes]) -> bytes:
    """A digest of a flow table given as {UFID: action bytes}, independent
    of dump order. The alignment PAD the kernel may add to an echoed
    ``set(tunnel)`` is left out, since it varies with where a flow lands in
    the dump."""
    strip = actions_without_tunnel_pad
    items = [(ufid, strip(actions)) for ufid, actions in sorted(actions_by_ufid.items())]
    # marshal writes each length, so distinct tables cannot serialise alike.
    # Version 2: later versions write back-references to objects seen twice,
    # which would make the digest depend on object identity, not values.
    return hashlib.sha256(marshal.dumps(items, 2)).digest()


class TableSnapshot:
    """One datapath's last src table. ``lines`` and ``texts`` are kept as
    newline-joined blobs and split only when a run needs the pieces: a
    no-change run compares one blob and splits the other once."""

    def __init__(self, path: str, context: tuple):
        self.path = path
        self.context = repr(context)
        self.stamp = code_stamp()
        self.kernel = b""                       # table_digest of the table left behind
        self.lines_blob = ""                    # effective src lines, file order, "\n"-joined
        self.ufids = b""                        # UFID of each line's flow, UFID_LEN bytes each
        self.texts_blob = ""                    # the table's text, sorted, "\n"-joined
        self.notes: Dict[str, tuple] = {}       # line -> fix-up notes, for lines that had some

    @classmethod
    def for_datapath(cls, datapath: str, context: tuple, directory: Optional[str] = None) -> TableSnapshot:
        name = hashlib.sha256(datapath.encode()).hexdigest()[:24]
        return cls(os.path.join(directory or default_dir(), name + ".table"), context)

    def _header(self) -> dict:
        return {"format": FORMAT, "stamp": self.stamp, "context": self.context}

    def load(self) -> bool:
        """Read the file; True when it holds a snapshot for this context and code."""
        if self.stamp is None:
            return False
        try:
            with open(self.path, "rb") as fh:
                data = marshal.loads(fh.read())
        except (OSError, EOFError, ValueError, TypeError):
            return False
        try:
            if data["header"] != self._header():
                return False
            kernel, lines, ufids, texts, notes = (data["kernel"], data["lines"], data["ufids"], data["texts"],
                                                  data["notes"])
        except (KeyError, TypeError):
            return False
        if not (isinstance(kernel, bytes) and isinstance(lines, str) and isinstance(ufids, bytes)
                and isinstance(texts, str) and isinstance(notes, dict)):
            return False
        self.kernel, self.lines_blob, self.ufids, self.texts_blob, self.notes = kernel, lines, ufids, texts, notes
        return True

    def lines(self) -> List[str]:
        return self.lines_blob.split("\n") if self.lines_blob else []

    def texts(self) -> List[str]:
        return self.texts_blob.split("\n") if self.texts_blob else []

    def ufid(self, index: int) -> bytes:
        return self.ufids[index * UFID_LEN:(index + 1) * UFID_LEN]

    def save(self, kernel: bytes, lines: List[str], ufids: bytes, texts: List[str], notes: Dict[str, tuple]) -> None:
        """Record a table: ``texts`` sorted, ``ufids`` parallel to ``lines``."""
        if self.stamp is None:
            return
        blob = marshal.dumps({"header": self._header(), "kernel": kernel, "lines": "\n".join(lines),
                              "ufids": ufids, "texts": "\n".join(texts), "notes": notes})
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(blob)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            pass    # only slower next time

    def discard(self) -> None:
        """Forget the snapshot (the table it describes is gone)."""
        try:
            os.unlink(self.path)
        except OSError:
            pass
