"""The src parse cache: hits give exactly what a parse gives; anything stale is ignored."""

import marshal
import os
import subprocess
import sys

from ansible_collections.dpif.ovs.plugins.module_utils.fastpath import flowcache
from ansible_collections.dpif.ovs.plugins.module_utils.privatestore import FrameReader, open_dir
from ansible_collections.dpif.ovs.plugins.module_utils.odp import text as T
from ansible_collections.dpif.ovs.plugins.module_utils.resources import flow_wanted as F
from ansible_collections.dpif.ovs.plugins.module_utils.resources.flow_text import want_text

LINES = [
    "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 2",
    "in_port(2),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80) 1",
    "in_port(3),eth(),eth_type(0x86dd),ipv6(dst=fd00::1,frag=no) set(tunnel(tun_id=0x5,dst=192.0.2.1,ttl=64,tp_dst=4789,flags(df|key))),2",
]


def load(tmp_path, lines, **params):
    src = tmp_path / "dp.flows"
    src.write_text("\n".join(lines) + "\n")
    wanted = F.load_wanted(dict({"src": str(src), "fix": True}, **params), {"p1": 1}, "dp0")
    return wanted


def _parsed(monkeypatch):
    """The lines load_wanted parses (a cache hit parses nothing)."""
    seen = []
    real = T.parse_flow

    def parse_flow(line, **kw):
        seen.append(line)
        return real(line, **kw)
    monkeypatch.setattr(T, "parse_flow", parse_flow)      # looked up on odp.text where it parses
    return seen


def summary(wanted):
    return [(w.ufid, w.key, w.mask, w.actions, want_text(w, None)) for w in wanted.flows]


def test_second_load_hits_and_equals_a_parse(tmp_path, monkeypatch):
    monkeypatch.setenv("DPIF_OVS_CACHE_DIR", str(tmp_path / "cache"))
    parsed = _parsed(monkeypatch)
    first = load(tmp_path, LINES)
    assert parsed == LINES
    first.save_cache(None)
    del parsed[:]
    second = load(tmp_path, LINES)
    assert parsed == []                                         # all from the cache
    assert summary(second) == summary(first)
    assert second.notes == first.notes and any("tcp_flags" in n for n in second.notes)
    uncached = load(tmp_path, LINES, cache=False)
    assert summary(uncached) == summary(first)


def _cache(tmp_path):
    return flowcache.FlowCache.for_src("dp0", str(tmp_path / "dp.flows"), (True, (("p1", 1),), False))


def _cache_file(tmp_path):
    (path,) = [os.path.join(str(tmp_path / "cache"), n) for n in os.listdir(str(tmp_path / "cache"))
               if n.endswith(".cache")]
    return path


def test_changed_line_is_parsed_others_hit_and_appended(tmp_path, monkeypatch):
    monkeypatch.setenv("DPIF_OVS_CACHE_DIR", str(tmp_path / "cache"))
    load(tmp_path, LINES).save_cache(None)
    size = os.path.getsize(_cache_file(tmp_path))
    inode = os.stat(_cache_file(tmp_path)).st_ino
    changed = LINES[:2] + [LINES[2].replace(",2", ",3")]
    parsed = _parsed(monkeypatch)
    wanted = load(tmp_path, changed)
    assert parsed == changed[2:]
    wanted.save_cache(None)
    # One new entry: appended as a small frame, the file is not rewritten.
    assert os.stat(_cache_file(tmp_path)).st_ino == inode
    assert size < os.path.getsize(_cache_file(tmp_path)) < 2 * size
    assert set(_cache(tmp_path).lines) == set(LINES) | set(changed)
    del parsed[:]
    again = load(tmp_path, changed)
    assert parsed == [] and summary(again) == summary(wanted)
    before = os.path.getsize(_cache_file(tmp_path))
    again.save_cache(None)      # nothing learned: nothing written
    assert os.path.getsize(_cache_file(tmp_path)) == before


def test_stale_lines_are_dropped_when_they_outweigh_a_quarter(tmp_path, monkeypatch):
    monkeypatch.setenv("DPIF_OVS_CACHE_DIR", str(tmp_path / "cache"))
    load(tmp_path, LINES).save_cache(None)
    other = [line.replace(" ", ",skb_mark(0x7) ", 1) for line in LINES]   # three new lines
    load(tmp_path, other).save_cache(None)
    assert set(_cache(tmp_path).lines) == set(other)        # 3 of 6 stale: rewritten


def test_the_cache_is_per_datapath_not_per_path(tmp_path, monkeypatch):
    """A table templated to a new path each run still hits."""
    monkeypatch.setenv("DPIF_OVS_CACHE_DIR", str(tmp_path / "cache"))
    load(tmp_path, LINES).save_cache(None)
    moved = tmp_path / "elsewhere.flows"
    moved.write_text("\n".join(LINES) + "\n")
    parsed = _parsed(monkeypatch)
    F.load_wanted({"src": str(moved), "fix": True}, {"p1": 1}, "dp0")
    assert parsed == []
    F.load_wanted({"src": str(moved), "fix": True}, {"p1": 1}, "dp1")
    assert parsed == LINES                                  # another datapath: its own cache


def test_a_torn_last_frame_drops_the_file_and_the_run_rebuilds_it(tmp_path, monkeypatch):
    """A run killed in an append: the file no longer checks, so it is
    dropped (a re-parse, never a guess) and the next save writes it whole."""
    monkeypatch.setenv("DPIF_OVS_CACHE_DIR", str(tmp_path / "cache"))
    load(tmp_path, LINES).save_cache(None)
    with open(_cache_file(tmp_path), "ab") as fh:
        fh.write(b"\xff\x00\x00\x00\x00\x00\x00\x00partial")
    parsed = _parsed(monkeypatch)
    wanted = load(tmp_path, LINES)
    assert parsed == LINES
    wanted.save_cache(None)
    del parsed[:]
    load(tmp_path, LINES)
    assert parsed == []


def test_other_context_or_corrupt_file_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("DPIF_OVS_CACHE_DIR", str(tmp_path / "cache"))
    load(tmp_path, LINES).save_cache(None)
    # Another port map: names could resolve differently, so nothing is reused.
    src = tmp_path / "dp.flows"
    parsed = _parsed(monkeypatch)
    F.load_wanted({"src": str(src), "fix": True}, {"p1": 7}, "dp0")
    assert parsed == LINES
    with open(_cache_file(tmp_path), "wb") as fh:
        fh.write(b"\x00garbage")
    del parsed[:]
    load(tmp_path, LINES)
    assert parsed == LINES


def test_echo_is_remembered(tmp_path, monkeypatch):
    monkeypatch.setenv("DPIF_OVS_CACHE_DIR", str(tmp_path / "cache"))
    wanted = load(tmp_path, LINES[:1])
    wanted.flows[0].echo = b"\x08\x00\x01\x00\x02\x00\x00\x00"
    wanted.save_cache(None)
    assert load(tmp_path, LINES[:1]).flows[0].echo == b"\x08\x00\x01\x00\x02\x00\x00\x00"


def test_src_lines_numbers_line_ends_and_bad_bytes(tmp_path):
    import pytest
    from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
    data = b"# head\r\n\r\n  in_port(1) 2  \r\rin_port(2) 1\n#x\nin_port(3) drop"
    assert F.src_lines(data, "t.flows") == (["in_port(1) 2", "in_port(2) 1", "in_port(3) drop"], [3, 5, 7])
    with pytest.raises(DpifError) as err:
        F.src_lines(b"in_port(1) 2\nin_port(2) \xff1\n", "t.flows")
    assert "src 't.flows' line 2" in str(err.value) and "byte 12 of the line is not UTF-8" in str(err.value)
    src = tmp_path / "bad.flows"
    src.write_bytes(b"in_port(1),eth(),eth_type(0x0800),ipv4(frag=no) 2\n\xc3\n")
    with pytest.raises(DpifError) as err:
        F.load_wanted({"src": str(src)}, None)
    assert "line 2" in str(err.value)


def test_a_big_map_is_written_in_frames_and_read_back_whole(tmp_path, monkeypatch):
    """More lines than FRAME_ENTRIES: several frames, one map when loaded."""
    monkeypatch.setenv("DPIF_OVS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(flowcache, "FRAME_ENTRIES", 2)
    lines = ["in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.%d,frag=no) 2" % i for i in range(1, 8)]
    parsed = _parsed(monkeypatch)
    first = load(tmp_path, lines)
    first.save_cache(None)
    with open(_cache_file(tmp_path), "rb") as fh:
        reader = FrameReader(fh, open_dir(str(tmp_path / "cache")).key)
        frames = []
        while not reader.at_end():
            frames.append(marshal.loads(reader.frame()))
    assert [len(f) for f in frames[1:]] == [2, 2, 2, 1]       # after the header
    del parsed[:]
    second = load(tmp_path, lines)
    assert parsed == [] and summary(second) == summary(first)


def test_the_code_stamp_reads_every_file_of_the_text_package():
    """A file of odp.text missing from the stamp's list would leave entries
    valid after it changed."""
    directory = os.path.dirname(T.__file__)
    assert sorted(flowcache._TEXT_FILES) == sorted(name for name in os.listdir(directory) if name.endswith(".py"))


def test_the_code_stamp_does_not_import_the_text_syntax():
    """The table-snapshot path stamps its file without loading odp.text."""
    root = flowcache.__file__
    while os.path.basename(root) != "ansible_collections":
        root = os.path.dirname(root)
    root = os.path.dirname(root)
    snippet = ("import sys\n"
               "from ansible_collections.dpif.ovs.plugins.module_utils.fastpath.flowcache import code_stamp\n"
               "assert code_stamp()\n"
               "print('ansible_collections.dpif.ovs.plugins.module_utils.odp.text' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=root))
    assert out.stdout.strip() == "False"
