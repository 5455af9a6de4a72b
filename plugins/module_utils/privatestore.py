# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Files only the running user may have written: where the parse cache
(:mod:`.flowcache`) and the table snapshot (:mod:`.tablesnapshot`) live.

Both decide what root installs in the kernel and what a run reports, so a
file anyone else could plant or alter must never be read. The contract:

* The directory (``DPIF_OVS_CACHE_DIR``, else ``/var/cache/dpif-ovs`` for
  root, ``~/.cache/dpif-ovs`` otherwise) is created mode 0700 if missing,
  and used only when it is owned by the running user with no group or
  other access, and every directory above it is owned by root or that user
  and writable by no one else (unless sticky, like ``/tmp``). Otherwise
  :func:`open_dir` returns None and a warning (:func:`refusals`): the run
  goes on without a cache, only slower.
* Files are opened relative to the directory's descriptor, without
  following symlinks and without blocking, and used only when ``fstat``
  says: a regular file, owned by the running user, no group or other access.
* Every frame of a file carries an HMAC-SHA256 tag under a key kept in the
  directory (``key``, 32 random bytes, mode 0600), over the file's random
  nonce, the frame's index and its payload. A frame is parsed only after its
  tag checks; a file whose frame does not check is dropped, never trusted.
  So a flipped byte, a cut, frames spliced from another file, or a file
  written by anyone without the key cost a re-parse, never a wrong flow or
  a crash in ``marshal``.

File layout: ``MAGIC``, a 16-byte nonce, then frames: u64 payload length,
payload, 32-byte tag.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import hashlib
import hmac
import os
import stat
import struct
import time
from typing import Callable, Dict, List, Optional, Tuple

MAGIC = b"dpifovs\x02"
NONCE_LEN = 16
TAG_LEN = 32
KEY_LEN = 32
KEY_NAME = "key"
TEMP_PREFIX = ".tmp-"
_LEN = struct.Struct("<Q")
_INDEX = struct.Struct("<Q")
_OPEN_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)

_dirs: Dict[str, PrivateDir] = {}
_refused: Dict[str, str] = {}


class BadFile(Exception):
    """A store file that cannot be trusted: cut short, a wrong tag, a wrong
    magic. The caller drops it."""


def default_dir() -> str:
    env = os.environ.get("DPIF_OVS_CACHE_DIR")
    if env:
        return env
    if os.geteuid() == 0:
        return "/var/cache/dpif-ovs"
    return os.path.join(os.path.expanduser("~"), ".cache", "dpif-ovs")


def refusals() -> List[str]:
    """Warnings for the directories this process refused, one per directory."""
    return ["%s; flow caches are not used (runs are slower, not different)" % reason
            for reason in _refused.values()]


def _who(uid: int) -> str:
    return "root" if uid == 0 else "uid %d" % uid


def check_trusted_path(path: str) -> Optional[str]:
    """Why ``path`` might hold what someone other than root or us wrote, or
    None. ``path`` and each directory above it must be owned by root or us
    and writable by no one else (a directory may be, when sticky, like
    ``/tmp``: others can then neither rename nor replace what we own). A
    symlink on the way must be root's or ours too (another user's link in
    ``/tmp`` could point us anywhere), and where it leads is checked the same
    way."""
    me = os.geteuid()
    current = os.path.abspath(path)
    while True:
        st = os.lstat(current)
        if stat.S_ISLNK(st.st_mode):
            if st.st_uid not in (0, me):
                return "'%s' is a symlink owned by %s" % (current, _who(st.st_uid))
            target = os.path.join(os.path.dirname(current), os.readlink(current))
            reason = check_trusted_path(target)
            if reason is not None:
                return reason
            st = os.stat(current)
        if st.st_uid not in (0, me):
            return "'%s' is owned by %s" % (current, _who(st.st_uid)) if current == path else \
                "'%s', above '%s', is owned by %s" % (current, path, _who(st.st_uid))
        sticky_dir = stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX and current != path
        if st.st_mode & 0o022 and not sticky_dir:
            where = "'%s'" % current if current == path else "'%s', above '%s'," % (current, path)
            return "%s is writable by group or others (mode %04o)" % (where, stat.S_IMODE(st.st_mode))
        up = os.path.dirname(current)
        if up == current:
            return None
        current = up


def check_private_path(path: str) -> Optional[str]:
    """Why ``path`` (an existing directory) is not private to this user, or
    None: it must be owned by us with no group or other access, and be a
    trusted path (:func:`check_trusted_path`): another user could otherwise
    rename it away and put their own in its place."""
    me = os.geteuid()
    reason = check_trusted_path(path)
    if reason is not None:
        return reason
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        return "'%s' is not a directory of its own" % path
    if st.st_uid != me:
        return "'%s' is owned by %s, not by %s who runs this" % (path, _who(st.st_uid), _who(me))
    if st.st_mode & 0o077:
        return "'%s' has mode %04o; only its owner may have access (0700)" % (path, stat.S_IMODE(st.st_mode))
    return None


def open_dir(path: Optional[str] = None) -> Optional[PrivateDir]:
    """The private directory ``path`` (default :func:`default_dir`), created
    if missing; None when it is refused (see :func:`refusals`) or cannot be
    made. Opened once per process."""
    # Not realpath: a symlink on the way is checked, not resolved away unseen.
    path = os.path.abspath(path or default_dir())
    if path in _dirs:
        return _dirs[path]
    if path in _refused:
        return None
    try:
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        reason = check_private_path(path)
        if reason is None:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | _OPEN_FLAGS)
            try:
                checked, opened = os.lstat(path), os.fstat(fd)
                if (checked.st_dev, checked.st_ino) != (opened.st_dev, opened.st_ino):
                    raise OSError(errno.EAGAIN, "it was replaced while being checked")
                store = PrivateDir(path, fd)
            except BaseException:
                os.close(fd)
                raise
    except OSError as exc:
        reason = "cannot use '%s' for the flow cache: %s" % (path, exc.strerror)
    if reason is not None:
        _refused[path] = "refusing the flow cache directory: " + reason
        return None
    _dirs[path] = store
    return store


def forget_dirs() -> None:
    """Close the directories opened so far (tests; a new environment)."""
    for store in _dirs.values():
        os.close(store.fd)
    _dirs.clear()
    _refused.clear()


def datapath_file_name(datapath: str, suffix: str) -> str:
    """The name of ``datapath``'s file in a private directory: a hash of the
    datapath's name (which may hold any character) and ``suffix``."""
    return hashlib.sha256(datapath.encode()).hexdigest()[:24] + suffix


class PrivateDir:
    """An open private directory and its frame key. Paths inside it are
    names relative to ``fd``; nothing here follows a symlink."""

    def __init__(self, path: str, fd: int):
        self.path = path
        self.fd = fd
        self.key = self._key()
        self._sweep()

    def _sweep(self, age: float = 3600) -> None:
        """Remove temporary files a killed run left (a 100k-line cache's is
        about 40 MB); one younger than ``age`` seconds may be another run's."""
        now = time.time()
        try:
            entries = [e for e in os.scandir(self.fd) if e.name.startswith(TEMP_PREFIX)]
        except OSError:
            return
        for entry in entries:
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime > age:
                    self.unlink(entry.name)
            except OSError:
                continue

    def _key(self) -> bytes:
        fd = self.open(KEY_NAME)
        if fd is not None:
            with os.fdopen(fd, "rb") as fh:
                key = fh.read(KEY_LEN + 1)
            if len(key) == KEY_LEN:
                return key
        # Missing or damaged: a new key, which makes every file here stale.
        key = os.urandom(KEY_LEN)
        fd, tmp = self.create_temp()
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(key)
            os.replace(tmp, KEY_NAME, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            self.unlink(tmp)
            raise
        return key

    def open(self, name: str, writable: bool = False) -> Optional[int]:
        """A descriptor of file ``name``, or None when it is missing or not
        ours to trust (then it is removed: a later run recreates it)."""
        flags = (os.O_RDWR if writable else os.O_RDONLY) | _OPEN_FLAGS
        try:
            fd = os.open(name, flags, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:        # a symlink where a file should be
                self.unlink(name)
            return None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
            os.close(fd)
            self.unlink(name)
            return None
        return fd

    def create_temp(self) -> tuple:
        """A new empty file ``(fd, name)``, mode 0600, for :meth:`replace`."""
        while True:
            name = TEMP_PREFIX + os.urandom(8).hex()
            try:
                fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, 0o600, dir_fd=self.fd)
            except FileExistsError:
                continue
            return fd, name

    def replace(self, tmp: str, name: str) -> None:
        os.replace(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def same_file(self, fd: int, name: str) -> bool:
        """Whether ``name`` still names the file open as ``fd``."""
        try:
            st = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except OSError:
            return False
        have = os.fstat(fd)
        return (st.st_dev, st.st_ino) == (have.st_dev, have.st_ino)

    def unlink(self, name: str) -> None:
        try:
            os.unlink(name, dir_fd=self.fd)
        except OSError:
            pass

    def drop_damaged(self, fd: int, name: str) -> None:
        """Remove ``name``, read through ``fd`` and found damaged, unless
        another run has put a new file in its place meanwhile."""
        if self.same_file(fd, name):
            self.unlink(name)

    def write_frames(self, name: str, write: Callable[[FrameWriter], None]) -> Tuple[object, FrameWriter]:
        """A new framed file in ``name``'s place, atomically: ``write(writer)``
        writes its frames (after the start) to a temporary file, which then
        replaces ``name``. Returns that file, open for reading and writing at
        its end, and the writer (its nonce and index go on with appends). On
        any failure the temporary file is removed and the exception raised;
        ``name`` is left as it was."""
        fd, tmp = self.create_temp()
        fh = os.fdopen(fd, "r+b")
        try:
            writer = FrameWriter(fh, self.key)
            writer.start()
            write(writer)
            fh.flush()
            self.replace(tmp, name)
        except BaseException:
            fh.close()
            self.unlink(tmp)
            raise
        return fh, writer


def _tagger(key: bytes, nonce: bytes, index: int):
    return hmac.new(key, nonce + _INDEX.pack(index), "sha256")


class FrameWriter:
    """Writes tagged frames to ``fh`` from its position: a new file
    (:meth:`start`) or the end of one read by a :class:`FrameReader`
    (same key, nonce and next index)."""

    def __init__(self, fh, key: bytes, nonce: Optional[bytes] = None, index: int = 0):
        self.fh = fh
        self.key = key
        self.nonce = nonce
        self.index = index
        self._open = None       # (length offset, running tag, size) of a frame written in pieces

    def start(self) -> None:
        self.nonce = os.urandom(NONCE_LEN)
        self.fh.write(MAGIC + self.nonce)

    def frame(self, payload) -> None:
        tag = _tagger(self.key, self.nonce, self.index)
        tag.update(payload)
        self.fh.write(_LEN.pack(len(payload)))
        self.fh.write(payload)
        self.fh.write(tag.digest())
        self.index += 1

    def begin(self) -> None:
        """Start a frame written in pieces (:meth:`piece`, :meth:`end`)."""
        self._open = [self.fh.tell(), _tagger(self.key, self.nonce, self.index), 0]
        self.fh.write(_LEN.pack(0))

    def piece(self, data: bytes) -> None:
        self._open[1].update(data)
        self._open[2] += self.fh.write(data)

    def end(self) -> None:
        start, tag, size = self._open
        self.fh.write(tag.digest())
        end = self.fh.tell()
        self.fh.seek(start)
        self.fh.write(_LEN.pack(size))
        self.fh.seek(end)
        self._open = None
        self.index += 1


class FrameReader:
    """Reads and checks the frames of a store file, in order. Every method
    raises :class:`BadFile` for a file that cannot be trusted."""

    def __init__(self, fh, key: bytes):
        self.fh = fh
        self.key = key
        self.size = os.fstat(fh.fileno()).st_size
        head = fh.read(len(MAGIC) + NONCE_LEN)
        if len(head) != len(MAGIC) + NONCE_LEN or head[:len(MAGIC)] != MAGIC:
            raise BadFile("not a store file")
        self.nonce = head[len(MAGIC):]
        self.index = 0

    def _length(self) -> int:
        raw = self.fh.read(_LEN.size)
        if len(raw) != _LEN.size:
            raise BadFile("cut short")
        (size,) = _LEN.unpack(raw)
        if size + TAG_LEN > self.size - self.fh.tell():
            raise BadFile("cut short")
        return size

    def at_end(self) -> bool:
        return self.fh.tell() >= self.size

    def frame(self) -> bytes:
        """The next frame's payload, checked."""
        size = self._length()
        payload = self.fh.read(size)
        self._check(payload, len(payload) == size)
        return payload

    def pieces(self, piece: int = 1 << 20):
        """The next frame's payload in pieces of ``piece`` bytes; the tag is
        checked after the last piece, so a consumer must not act on what
        it read until the generator finishes without BadFile."""
        left = self._length()
        tag = _tagger(self.key, self.nonce, self.index)
        while left > 0:
            chunk = self.fh.read(min(piece, left))
            if not chunk:
                raise BadFile("cut short")
            left -= len(chunk)
            tag.update(chunk)
            yield chunk
        self._check_tag(tag)

    def skip(self) -> None:
        """Pass over the next frame unread (and unchecked: it is not used)."""
        self.fh.seek(self._length() + TAG_LEN, os.SEEK_CUR)
        self.index += 1

    def _check(self, payload: bytes, whole: bool) -> None:
        if not whole:
            raise BadFile("cut short")
        tag = _tagger(self.key, self.nonce, self.index)
        tag.update(payload)
        self._check_tag(tag)

    def _check_tag(self, tag) -> None:
        if not hmac.compare_digest(tag.digest(), self.fh.read(TAG_LEN)):
            raise BadFile("frame %d does not check" % self.index)
        self.index += 1
