"""The netns option's names and paths, and the refusals that need no kernel."""

import errno

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils import netns
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError


@pytest.mark.parametrize("given, path", [
    ("guests", "/run/netns/guests"),
    ("/proc/1/ns/net", "/proc/1/ns/net"),
    ("/run/netns/x", "/run/netns/x"),
])
def test_names_and_paths(given, path):
    assert netns.namespace_path(given) == path


@pytest.mark.parametrize("given", ["", ".", "..", "a/b", "../x"])
def test_names_that_are_not_one(given):
    with pytest.raises(DpifError) as caught:
        netns.namespace_path(given)
    assert caught.value.errno == errno.EINVAL
    assert "give a name under /run/netns (ip netns add NAME) or an absolute path" in str(caught.value)


def test_a_missing_namespace_says_how_to_make_it(tmp_path):
    with pytest.raises(DpifError) as caught:
        netns.enter(str(tmp_path / "none"))
    assert caught.value.errno == errno.ENOENT
    assert str(caught.value) == "netns '%s': there is no network namespace at %s" % (
        tmp_path / "none", tmp_path / "none")


def test_a_file_that_is_not_a_namespace(tmp_path):
    plain = tmp_path / "plain"
    plain.write_text("")
    with pytest.raises(DpifError) as caught:
        netns.enter(str(plain))
    assert caught.value.errno in (errno.EINVAL, errno.EPERM)
