"""Notifications of devices and datapath ports, from the real kernel, for
changes made by real commands (ip, ovs-dpctl) and by the collection."""

import errno
import socket
import subprocess
import time

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import genl
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.notifications import (
    ADDED, REMOVED, LinkEvent, Notifications, Overrun, VportEvent)
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import PortRequest
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError

from conftest import sh

#: How long a notification may take to be seen.
WITHIN = 2.0


@pytest.fixture
def watch():
    with Notifications() as watcher:
        yield watcher


@pytest.fixture
def links():
    """Names of devices this test makes; whichever still exist are deleted afterwards."""
    made = []
    yield made
    for name in made:
        subprocess.run(["ip", "link", "del", name], stderr=subprocess.DEVNULL, check=False)


def collect(watcher, done, timeout):
    """Events until ``done(events)`` holds or ``timeout`` seconds have passed."""
    events = []
    deadline = time.monotonic() + timeout
    while not done(events):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        events += watcher.wait(left)
    return events


def expect(watcher, *wanted):
    """The events that came until all of ``wanted`` did (within WITHIN seconds)."""
    events = collect(watcher, lambda got: all(event in got for event in wanted), WITHIN)
    missing = [event for event in wanted if event not in events]
    assert not missing, "missing %s; got %s" % (missing, events)
    return events


def quiet(watcher, seconds=0.5):
    """What came in ``seconds``, which should be nothing."""
    return collect(watcher, lambda got: False, seconds)


def test_veth_port_lifecycle(watch, links, new_name, dpif, dpctl):
    links += ["v0", "v0p"]
    sh("ip link add v0 type veth peer name v0p")
    v0, v0p = socket.if_nametoindex("v0"), socket.if_nametoindex("v0p")
    expect(watch, LinkEvent(ADDED, "v0", v0), LinkEvent(ADDED, "v0p", v0p))
    assert watch.links[v0] == "v0"

    dp = new_name("dp")
    dpctl("add-dp", dp)
    dp_ifindex = socket.if_nametoindex(dp)
    events = expect(watch, LinkEvent(ADDED, dp, dp_ifindex))
    # The datapath's own port 0 is told on the "ovs_datapath" group, not as a vport.
    assert not [event for event in events + quiet(watch) if isinstance(event, VportEvent)]

    dpctl("add-if", dp, "v0")
    port_no = dpif.port_by_name(dp, "v0").port_no
    added = VportEvent(ADDED, dp_ifindex, "v0", port_no, "netdev", dp)
    assert expect(watch, added) == [added]

    # Up and down are state changes: no event.
    sh("ip link set v0 up")
    sh("ip link set v0 down")
    assert quiet(watch) == []

    # Deleting the device detaches its port: both are told, in either order.
    sh("ip link del v0")
    events = expect(watch, VportEvent(REMOVED, dp_ifindex, "v0", port_no, "netdev", dp),
                    LinkEvent(REMOVED, "v0", v0), LinkEvent(REMOVED, "v0p", v0p))
    assert len(events) == 3
    assert dpif.port_by_name(dp, "v0") is None
    assert v0 not in watch.links and v0p not in watch.links


def test_rename_is_removed_then_added(watch, links):
    links += ["v1", "v1p", "v2"]
    sh("ip link add v1 type veth peer name v1p")
    index = socket.if_nametoindex("v1")
    expect(watch, LinkEvent(ADDED, "v1", index), LinkEvent(ADDED, "v1p", socket.if_nametoindex("v1p")))
    sh("ip link set v1 name v2")
    events = expect(watch, LinkEvent(REMOVED, "v1", index), LinkEvent(ADDED, "v2", index))
    assert events == [LinkEvent(REMOVED, "v1", index), LinkEvent(ADDED, "v2", index)]
    assert watch.links[index] == "v2"


def test_devices_present_at_start_are_known_not_added(links):
    links += ["v3", "v3p"]
    sh("ip link add v3 type veth peer name v3p")
    with Notifications() as watcher:
        assert watcher.links[socket.if_nametoindex("v3")] == "v3"
        sh("ip link set v3 up")
        assert quiet(watcher) == []
        v3, v3p = socket.if_nametoindex("v3"), socket.if_nametoindex("v3p")
        sh("ip link del v3")
        events = expect(watcher, LinkEvent(REMOVED, "v3", v3), LinkEvent(REMOVED, "v3p", v3p))
    assert len(events) == 2


def test_ports_of_the_collection_itself(watch, dpif, dp):
    dp_ifindex = socket.if_nametoindex(dp)
    dpif.port_add(dp, PortRequest(name="ni0", type="internal", port_no=5))
    index = socket.if_nametoindex("ni0")
    expect(watch, VportEvent(ADDED, dp_ifindex, "ni0", 5, "internal", dp), LinkEvent(ADDED, "ni0", index))
    dpif.port_add(dp, PortRequest(name="nvx0", type="vxlan", options={"dst_port": 4799}))
    vxlan_no = dpif.port_by_name(dp, "nvx0").port_no
    expect(watch, VportEvent(ADDED, dp_ifindex, "nvx0", vxlan_no, "vxlan", dp))
    dpif.port_del(dp, "ni0")
    dpif.port_del(dp, "nvx0")
    expect(watch, VportEvent(REMOVED, dp_ifindex, "ni0", 5, "internal", dp), LinkEvent(REMOVED, "ni0", index),
           VportEvent(REMOVED, dp_ifindex, "nvx0", vxlan_no, "vxlan", dp))


def test_datapath_deletion_tells_no_vport(watch, dpif, new_name, links, dpctl):
    links += ["v4", "v4p"]
    sh("ip link add v4 type veth peer name v4p")
    dp = new_name("dp")
    dpctl("add-dp", dp)
    dpctl("add-if", dp, "v4")
    dpctl("add-if", dp, "ni4,type=internal")
    dp_ifindex, ni4 = socket.if_nametoindex(dp), socket.if_nametoindex("ni4")
    expect(watch, VportEvent(ADDED, dp_ifindex, "v4", 1, "netdev", dp),
           VportEvent(ADDED, dp_ifindex, "ni4", 2, "internal", dp), LinkEvent(ADDED, "ni4", ni4))
    dpctl("del-dp", dp)
    # The local port's and the internal port's devices go; the ports go untold.
    events = expect(watch, LinkEvent(REMOVED, dp, dp_ifindex), LinkEvent(REMOVED, "ni4", ni4))
    events += quiet(watch)
    assert sorted(events, key=str) == sorted([LinkEvent(REMOVED, dp, dp_ifindex), LinkEvent(REMOVED, "ni4", ni4)], key=str)


def test_overruns_are_reported_and_the_devices_read_again(links, dpif, dp):
    with Notifications(receive_buffer=4096) as watcher:
        names = ["o%d" % number for number in range(12)]
        links.extend(names)
        sh("; ".join("ip link add %s type veth peer name %sp" % (name, name) for name in names))
        for number in range(12):
            dpif.port_add(dp, PortRequest(name="oi%d" % number, type="internal"))
        events = watcher.read()
        assert Overrun("link") in events and Overrun("vport") in events, events
        # The devices were read again: those made count as known, not as added later.
        assert set(names) <= set(watcher.links.values())
        assert {"oi%d" % number for number in range(12)} <= set(watcher.links.values())
        later = quiet(watcher)
        assert not [event for event in later if isinstance(event, LinkEvent) and event.kind == ADDED], later
        sh("ip link del o0")
        index = [index for index, name in watcher.links.items() if name == "o0"][0]
        expect(watcher, LinkEvent(REMOVED, "o0", index))


def test_multicast_groups_of_the_ovs_families():
    assert "ovs_vport" in genl.multicast_groups("ovs_vport")
    assert "ovs_datapath" in genl.multicast_groups("ovs_datapath")
    with pytest.raises(DpifError) as err:
        genl.multicast_groups("no_such_family")
    assert err.value.errno == errno.ENOENT


def test_closed_watcher(watch):
    watch.close()
    with pytest.raises(DpifError) as err:
        watch.wait(0.1)
    assert err.value.errno == errno.EBADF
