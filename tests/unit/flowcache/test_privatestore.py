"""The cache's and the snapshot's files are trusted only when only we could
have written them: the directory is checked, files are opened without
following symlinks, every frame is checked against a key before it is
parsed, and a damaged file costs a re-parse, never a wrong flow or a crash."""

import hashlib
import marshal
import os
import random

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils import privatestore
from ansible_collections.dpif.ovs.plugins.module_utils.fastpath import flowcache
from ansible_collections.dpif.ovs.plugins.module_utils.fastpath import tablesnapshot as T
from ansible_collections.dpif.ovs.plugins.module_utils.resources import flow_wanted as F

LINES = [
    "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 2",
    "in_port(2),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80) 1",
    "in_port(3),eth(),eth_type(0x0800),ipv4(dst=10.0.0.3,frag=no) 3,2",
]
CONTEXT = (True, (("p1", 1),), False)


def _private(tmp_path, name="cache"):
    path = tmp_path / name
    path.mkdir(mode=0o700)
    return str(path)


def _load(directory):
    cache = flowcache.FlowCache(privatestore.open_dir(directory), "dp0.cache", CONTEXT)
    cache.load()
    return cache


def _entries(lines=None):
    """Real entries, as a run records them."""
    out = {}
    for i, line in enumerate(LINES if lines is None else lines):
        ufid = hashlib.sha256(line.encode()).digest()[:16]
        out[line] = (ufid, b"key%d" % i, b"mask", b"act%d" % i, None, ("a note",) if i == 1 else (), None)
    return out


def test_a_directory_others_may_write_is_refused_and_the_run_goes_on(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o770)
    monkeypatch.setenv("DPIF_OVS_CACHE_DIR", str(shared))
    src = tmp_path / "dp.flows"
    src.write_text("\n".join(LINES) + "\n")
    wanted = F.load_wanted({"src": str(src), "fix": True}, {"p1": 1}, "dp0")
    assert len(wanted.flows) == 3 and not wanted.cache.usable
    wanted.save_cache(None)
    assert os.listdir(str(shared)) == []                    # nothing written there
    (warning,) = privatestore.refusals()
    assert "'%s' is writable by group or others (mode 0770)" % shared in warning
    assert "runs are slower, not different" in warning


def test_a_directory_below_one_others_may_write_is_refused(tmp_path):
    open_parent = tmp_path / "open"
    open_parent.mkdir()
    open_parent.chmod(0o777)        # not sticky: anyone could rename our directory away
    assert privatestore.open_dir(str(open_parent / "cache")) is None
    (warning,) = privatestore.refusals()
    assert "'%s', above '%s', is writable by group or others (mode 0777)" % (open_parent, open_parent / "cache") \
        in warning
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)            # like /tmp: allowed
    assert privatestore.open_dir(str(sticky / "cache")) is not None


def test_a_new_directory_is_made_private(tmp_path):
    store = privatestore.open_dir(str(tmp_path / "a" / "cache"))
    assert os.stat(store.path).st_mode & 0o777 == 0o700
    key = os.stat(os.path.join(store.path, privatestore.KEY_NAME))
    assert key.st_mode & 0o777 == 0o600 and key.st_size == privatestore.KEY_LEN


def test_a_symlinked_or_foreign_file_is_never_read_and_is_removed(tmp_path):
    directory = _private(tmp_path)
    cache = _load(directory)
    cache.lines = _entries()
    cache.save(set(LINES))
    store = privatestore.open_dir(directory)
    target = tmp_path / "elsewhere"
    target.write_bytes(open(cache.path, "rb").read())
    os.unlink(cache.path)
    os.symlink(str(target), cache.path)
    assert not _load(directory).loaded
    assert not os.path.lexists(cache.path)                  # the link went, its target stays
    assert target.exists()
    os.link(str(target), cache.path)
    os.chmod(cache.path, 0o644)                             # readable by others: not ours to trust
    assert not _load(directory).loaded
    assert store.open(cache.name) is None


def test_an_append_goes_to_the_file_loaded_never_to_a_symlink_swapped_in(tmp_path):
    directory = _private(tmp_path)
    first = _load(directory)
    first.lines = _entries(LINES[:2])
    first.save(set(LINES[:2]))
    loaded = _load(directory)
    assert loaded.loaded and set(loaded.lines) == set(LINES[:2])
    target = tmp_path / "target"
    target.write_bytes(b"precious")
    os.rename(loaded.path, str(tmp_path / "moved"))
    os.symlink(str(target), loaded.path)
    loaded.put(LINES[2], _entries()[LINES[2]])
    loaded.save(set(LINES))
    assert target.read_bytes() == b"precious"
    assert not os.path.islink(loaded.path)                  # written anew in its place
    assert set(_load(directory).lines) == set(LINES)


def test_an_entry_of_the_wrong_shape_is_a_miss(tmp_path):
    directory = _private(tmp_path)
    cache = _load(directory)
    good = _entries()
    cache.lines = dict(good)
    cache.lines[LINES[0]] = ("not", "an", "entry")
    cache.lines[LINES[1]] = good[LINES[1]][:5] + (["a list, not a tuple"],) + good[LINES[1]][6:]
    cache.save(set(LINES))
    again = _load(directory)
    assert again.get(LINES[0]) is None and again.get(LINES[1]) is None
    assert again.get(LINES[2]) == good[LINES[2]]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """1-4 byte flips, a cut, an insertion or a dropped span."""
    kind = rng.randrange(4)
    data = bytearray(data)
    if kind == 0:
        for _flip in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] ^= rng.randint(1, 255)
    elif kind == 1:
        del data[rng.randrange(1, len(data)):]
    elif kind == 2:
        at = rng.randrange(len(data))
        data[at:at] = bytes(rng.randrange(256) for _byte in range(rng.randint(1, 4)))
    else:
        at = rng.randrange(len(data) - 1)
        del data[at:at + rng.randint(1, 8)]
    return bytes(data)


FUZZ_FILES = 10000


def test_ten_thousand_damaged_caches_never_crash_nor_give_a_wrong_entry(tmp_path):
    directory = _private(tmp_path)
    entries = _entries()
    cache = _load(directory)
    cache.lines = dict(list(entries.items())[:2])
    cache.save(set(entries))
    cache.put(LINES[2], entries[LINES[2]])      # a second frame, appended
    cache.save(set(entries))
    path = cache.path
    good = open(path, "rb").read()
    rng = random.Random(21)
    loaded = 0
    for _file in range(FUZZ_FILES):
        with open(path, "wb") as fh:
            fh.write(_mutate(good, rng))
        damaged = _load(directory)
        for line, entry in entries.items():
            got = damaged.get(line)
            assert got is None or got == entry
        loaded += damaged.loaded
        if not damaged.loaded:
            assert not os.path.exists(path)     # dropped...
            damaged.lines = dict(entries)
            damaged.save(set(entries))          # ...and rebuilt by the run's save
            assert _load(directory).lines == entries
    # Only a cut at a frame's edge still checks (the frames before it stand).
    assert loaded < FUZZ_FILES // 10


def test_ten_thousand_damaged_snapshots_never_crash_nor_give_a_wrong_table(tmp_path):
    directory = _private(tmp_path)
    src = ("\n".join(LINES) + "\n").encode()
    texts = sorted(LINES)
    kernel = b"D" * 32
    snap = T.TableSnapshot.for_datapath("dp0", CONTEXT, directory)
    snap.save(kernel, src, texts, {LINES[1].encode(): ("a note",)}, [(2, "a note")])
    path = snap.path
    good = open(path, "rb").read()
    rng = random.Random(17)
    for _file in range(FUZZ_FILES):
        with open(path, "wb") as fh:
            fh.write(_mutate(good, rng))
        damaged = T.TableSnapshot.for_datapath("dp0", CONTEXT, directory)
        if damaged.load():
            assert (damaged.table_digest, damaged.src_digest) == (kernel, hashlib.sha256(src).digest())
            assert damaged.notes == {LINES[1].encode(): ("a note",)} and damaged.note_lines == [(2, "a note")]
            assert damaged.texts() in (None, texts)
            assert damaged.src_bytes() in (None, src)
        else:
            assert not os.path.exists(path)
        damaged.close()


def test_a_file_tagged_with_another_key_is_dropped(tmp_path):
    """What an attacker without the key writes, however well formed."""
    directory = _private(tmp_path)
    cache = _load(directory)
    cache.lines = _entries()
    cache.save(set(LINES))
    forged = {LINES[0]: _entries()[LINES[0]][:3] + (b"act-forged",) + _entries()[LINES[0]][4:]}
    with open(cache.path, "wb") as fh:
        writer = privatestore.FrameWriter(fh, os.urandom(32))
        writer.start()
        writer.frame(marshal.dumps(cache._header()))
        writer.frame(marshal.dumps(forged))
    again = _load(directory)
    assert not again.loaded and again.get(LINES[0]) is None


@pytest.mark.parametrize("mode", [0o644, 0o600])
def test_the_key_is_replaced_when_it_is_not_ours_alone(tmp_path, mode):
    directory = _private(tmp_path)
    store = privatestore.open_dir(directory)
    key_path = os.path.join(directory, privatestore.KEY_NAME)
    old = store.key
    os.chmod(key_path, mode)
    privatestore.forget_dirs()
    again = privatestore.open_dir(directory)
    assert (again.key == old) == (mode == 0o600)
    assert os.stat(key_path).st_mode & 0o777 == 0o600


def test_temporary_files_a_killed_run_left_are_swept(tmp_path):
    directory = _private(tmp_path)
    privatestore.open_dir(directory)
    old, fresh = os.path.join(directory, ".tmp-old"), os.path.join(directory, ".tmp-fresh")
    for path in (old, fresh):
        with open(path, "wb") as fh:
            fh.write(b"half a cache")
    os.utime(old, (1, 1))
    privatestore.forget_dirs()
    privatestore.open_dir(directory)
    assert not os.path.exists(old) and os.path.exists(fresh)     # a fresh one may be another run's
