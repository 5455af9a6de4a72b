"""A src path that is not a bounded regular file is refused with a sentence,
before a byte is read: never a hang (a FIFO), never memory exhaustion
(/dev/zero, a 10 GB file)."""

import os
import signal

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import parse_flow
from ansible_collections.dpif.ovs.plugins.module_utils.resources import flow_wanted as F
from ansible_collections.dpif.ovs.plugins.module_utils.srcfile import MAX_LINE_BYTES, MAX_SRC_BYTES, read_src

LINE = "in_port(1),eth(),eth_type(0x0800),ipv4(dst=10.0.0.1,frag=no) 2"


@pytest.fixture(autouse=True)
def no_hang():
    """A read that blocks fails the test instead of hanging the suite."""
    def alarm(signum, frame):
        raise AssertionError("blocked")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def refused(src):
    with pytest.raises(DpifError) as err:
        F.load_wanted({"src": src, "fix": True}, None)
    assert err.value.obj.startswith("src '%s'" % src), err.value
    return err.value


def test_not_regular_files(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(str(fifo))
    assert refused(str(fifo)).detail == "it is a FIFO (named pipe); src must be a regular file of flows"
    assert refused("/dev/zero").detail == "it is a character device; src must be a regular file of flows"
    assert refused(str(tmp_path)).detail == "it is a directory; src must be a regular file of flows"
    missing = refused(str(tmp_path / "missing"))
    assert missing.detail == "No such file or directory" and missing.op == "read flows"


def test_too_big_is_refused_unread(tmp_path):
    big = tmp_path / "big.flows"
    with open(str(big), "wb") as fh:
        fh.truncate(10 << 30)       # sparse
    err = refused(str(big))
    assert err.detail == "it is 10737418240 bytes; a flows file may be at most %d MiB" % (MAX_SRC_BYTES >> 20)
    just = tmp_path / "just.flows"
    just.write_text(LINE + "\n")
    assert read_src(str(just)) == (LINE + "\n").encode()


def test_a_long_line_is_refused_with_its_number(tmp_path):
    src = tmp_path / "long.flows"
    src.write_bytes((LINE + "\n# ok\n").encode() + b"x" * (MAX_LINE_BYTES + 1) + b"\n")
    err = refused(str(src))
    assert err.obj == "src '%s' line 3" % src
    assert err.detail == "the line is %d bytes long; a flow line may be at most 64 KiB" % (MAX_LINE_BYTES + 1)
    with pytest.raises(DpifError) as err:
        F.load_wanted({"config": [LINE, "in_port(1)," + "eth()," * 20000 + " 2"], "fix": True}, None)
    assert str(err.value).startswith("config[1]: the flow is 120013 characters long")


@pytest.mark.parametrize("text,detail", [
    ("in_port(1),encap(" + "(" * 160000 + " 2", "unbalanced parentheses"),
    ("in_port(1)," + "encap(" * 80000 + ")" * 80000 + " 2", "parentheses nested more than 128 deep"),
    ("in_port(1) " + "clone(" * 500000 + ")" * 500000, "parentheses nested more than 128 deep"),
])
def test_deep_parentheses_fail_fast(text, detail):
    """Refused in one pass (the quadratic scan took minutes on a 3 MB line;
    the no_hang alarm stops a test that takes that long)."""
    with pytest.raises(DpifError) as err:
        parse_flow(text)
    assert detail in str(err.value)
