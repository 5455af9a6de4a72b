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
written atomically, mode 0600, under ``/var/cache/dpif-ovs`` when writable,
else ``~/.cache/dpif-ovs``, one per (datapath, src path).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import hashlib
import marshal
import os
import pkgutil
import tempfile
from typing import Dict, Optional, Tuple

FORMAT = 2
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
    """The cached lines of one (datapath, src file) under one context."""

    def __init__(self, path: str, context: tuple):
        self.path = path
        self.context = repr(context)
        self.lines: Dict[str, Entry] = {}
        self.dirty = False
        self.stamp = code_stamp()

    @classmethod
    def for_src(cls, datapath: str, src: str, context: tuple, directory: Optional[str] = None) -> FlowCache:
        name = hashlib.sha256(("%s\0%s" % (datapath, os.path.realpath(src))).encode()).hexdigest()[:24]
        cache = cls(os.path.join(directory or default_dir(), name + ".cache"), context)
        cache.load()
        return cache

    @property
    def usable(self) -> bool:
        return self.stamp is not None

    def load(self) -> None:
        if not self.usable:
            return
        try:
            # One read, then loads: marshal.load on a file object reads
            # object by object through Python calls, 4x slower at 40 MB.
            with open(self.path, "rb") as fh:
                data = marshal.loads(fh.read())
        except (OSError, EOFError, ValueError, TypeError):
            return
        if (isinstance(data, dict) and data.get("format") == FORMAT and data.get("stamp") == self.stamp
                and data.get("context") == self.context and isinstance(data.get("lines"), dict)):
            self.lines = data["lines"]

    def get(self, line: str) -> Optional[Entry]:
        return self.lines.get(line)

    def put(self, line: str, entry: Entry) -> None:
        self.lines[line] = entry
        self.dirty = True

    def save(self, keep) -> None:
        """Write the entries of the lines in ``keep`` (the file's current
        lines), dropping the rest, when anything changed."""
        if not self.usable:
            return
        if not self.dirty and len(self.lines) == len(keep):
            return
        lines = dict((k, v) for k, v in self.lines.items() if k in keep)
        data = {"format": FORMAT, "stamp": self.stamp, "context": self.context, "lines": lines}
        directory = os.path.dirname(self.path)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(marshal.dumps(data))
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            pass   # a cache that cannot be written is only slower next time
