"""Link and vport notifications decoded from built messages, and the
watcher's bookkeeping (known devices, overruns, waiting) over stand-in
sockets. The real kernel's notifications are tests/kernel/test_notifications.py."""

import errno
import socket
import time

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.dpif import notifications
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import framing, genl, messages, rtnl
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink.framing import nla, nla_u32
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.notifications import (
    ADDED, REMOVED, LinkEvent, LinkTracker, Notifications, Overrun, VportEvent, vport_events)
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError

AF_BRIDGE = 7
IFF_UP = 0x1


def link_message(message_type, ifindex, name, family=socket.AF_UNSPEC, flags=0):
    """An RTM_NEWLINK or RTM_DELLINK notification as the kernel sends it."""
    body = rtnl.IFINFOMSG.pack(family, 1, ifindex, flags, 0) + nla(rtnl.IFLA_IFNAME, name.encode() + b"\0")
    return framing.NLHDR.pack(framing.NLHDR.size + len(body), message_type, 0, 0, 0) + body


def new_link(ifindex, name, **kw):
    return link_message(rtnl.RTM_NEWLINK, ifindex, name, **kw)


def del_link(ifindex, name, **kw):
    return link_message(rtnl.RTM_DELLINK, ifindex, name, **kw)


def vport_message(cmd, dp_ifindex, name, port_no, type_name="netdev", family_id=0x20):
    """An ovs_vport notification: nlmsghdr, genlmsghdr, ovs_header, attributes."""
    attrs = (nla_u32(messages.VPORT_ATTR_PORT_NO, port_no)
             + nla_u32(messages.VPORT_ATTR_TYPE, messages.VPORT_TYPES[type_name])
             + messages.name_attr(messages.VPORT_ATTR_NAME, name)
             + nla(messages.VPORT_ATTR_UPCALL_PID, b"\0" * 4)
             + nla(messages.VPORT_ATTR_STATS, b"\0" * 64))
    # A notification carries the sequence number and port of the request that caused it.
    return genl.HDR.pack(genl.HDR_LEN + len(attrs), family_id, 0, 41, 1234, cmd, 1, 0, dp_ifindex) + attrs


# -- nlctrl's multicast groups ------------------------------------------------

def test_multicast_groups_are_read_from_the_family_description():
    groups = nla(genl.CTRL_ATTR_MCAST_GROUPS,
                 nla(1, nla_u32(genl.CTRL_ATTR_MCAST_GRP_ID, 9) + nla(genl.CTRL_ATTR_MCAST_GRP_NAME, b"ovs_vport\0"))
                 + nla(2, nla(genl.CTRL_ATTR_MCAST_GRP_NAME, b"half\0"))            # no id: left out
                 + nla(3, nla(genl.CTRL_ATTR_MCAST_GRP_NAME, b"other\0") + nla_u32(genl.CTRL_ATTR_MCAST_GRP_ID, 12)))
    reply = (nla_u32(genl.CTRL_ATTR_FAMILY_ID, 0x1e)[:6] + b"\0\0"                  # a u16 attribute
             + nla(genl.CTRL_ATTR_FAMILY_NAME, b"ovs_vport\0") + groups)
    assert genl.decode_multicast_groups(reply) == {"ovs_vport": 9, "other": 12}
    assert genl.decode_multicast_groups(nla(genl.CTRL_ATTR_FAMILY_NAME, b"x\0")) == {}


def test_join_group_failure_names_the_group():
    class Refusing:
        def setsockopt(self, level, option, value):
            assert (level, option) == (framing.SOL_NETLINK, genl.NETLINK_ADD_MEMBERSHIP)
            raise OSError(errno.EINVAL, "Invalid argument")

    with pytest.raises(DpifError) as err:
        genl.join_group(Refusing(), 99, "the link notifications")
    assert (err.value.errno, err.value.op) == (errno.EINVAL, "open")
    assert str(err.value) == "the link notifications: cannot join multicast group 99: Invalid argument"


# -- links ----------------------------------------------------------------------

def test_a_new_ifindex_is_added_and_a_known_one_only_changed():
    tracker = LinkTracker({1: "lo"})
    assert tracker.update(new_link(5, "v0") + new_link(6, "v0p")) == [
        LinkEvent(ADDED, "v0", 5), LinkEvent(ADDED, "v0p", 6)]
    assert tracker.update(new_link(5, "v0", flags=IFF_UP)) == []      # up: a state change
    assert tracker.update(new_link(1, "lo")) == []
    assert tracker.names == {1: "lo", 5: "v0", 6: "v0p"}


def test_a_rename_is_removed_then_added():
    tracker = LinkTracker({5: "v1"})
    assert tracker.update(new_link(5, "v2")) == [LinkEvent(REMOVED, "v1", 5), LinkEvent(ADDED, "v2", 5)]
    assert tracker.names == {5: "v2"}


def test_removed_under_the_name_known_and_only_once():
    tracker = LinkTracker({5: "v0", 6: "v0p"})
    assert tracker.update(del_link(5, "v0") + del_link(6, "v0p")) == [
        LinkEvent(REMOVED, "v0", 5), LinkEvent(REMOVED, "v0p", 6)]
    assert tracker.update(del_link(5, "v0")) == []          # unknown now: gone before it was known
    assert tracker.names == {}


def test_bridge_port_messages_and_other_types_are_not_devices():
    tracker = LinkTracker({5: "v0"})
    # A device leaving a Linux bridge: RTM_DELLINK of family AF_BRIDGE, the device stays.
    assert tracker.update(del_link(5, "v0", family=AF_BRIDGE) + new_link(9, "x", family=AF_BRIDGE)) == []
    assert tracker.update(framing.NLHDR.pack(20, rtnl.RTM_NEWADDR, 0, 0, 0) + b"\0" * 4) == []
    assert tracker.update(b"\x08\0\0\0") == []               # shorter than a header
    assert tracker.names == {5: "v0"}


def test_reset_forgets_what_is_not_in_the_dump():
    tracker = LinkTracker({5: "v0"})
    tracker.reset({7: "v7"})
    assert tracker.update(del_link(5, "v0")) == []
    assert tracker.update(new_link(7, "v7")) == []


# -- vports -----------------------------------------------------------------------

def test_vport_new_and_del_are_decoded():
    data = (vport_message(messages.CMD_NEW, 11, "v0", 3)
            + vport_message(messages.CMD_DEL, 11, "vx0", 7, "vxlan"))
    assert vport_events(data, {11: "dp0"}.get) == [
        VportEvent(ADDED, 11, "v0", 3, "netdev", "dp0"),
        VportEvent(REMOVED, 11, "vx0", 7, "vxlan", "dp0")]
    assert vport_events(vport_message(messages.CMD_NEW, 4, "i0", 1, "internal")) == [
        VportEvent(ADDED, 4, "i0", 1, "internal", "")]


def test_vport_set_and_control_messages_are_ignored():
    data = (vport_message(messages.CMD_SET, 11, "v0", 3)
            + framing.NLHDR.pack(20, framing.NLMSG_ERROR, 0, 0, 0) + b"\0" * 4)
    assert vport_events(data) == []


# -- the watcher over stand-in sockets ---------------------------------------------

class FakeListener:
    """Stands in for a notification socket: ``queue`` holds what drain()
    returns next, a list of datagrams or the string "overrun"."""

    made = {}

    def __init__(self, protocol, group_id, what, receive_buffer):
        self.group_id = group_id
        self.queue = []
        self._pair = socket.socketpair()        # a real descriptor to poll
        FakeListener.made[protocol] = self

    def fileno(self):
        return self._pair[0].fileno()

    def close(self):
        for end in self._pair:
            end.close()

    def drain(self):
        if not self.queue:
            return [], False
        item = self.queue.pop(0)
        return ([], True) if item == "overrun" else (item, False)


def if_indextoname(index):
    """The kernel's answer in the stand-in namespace: only datapath dp0 (ifindex 4) exists."""
    if index != 4:
        raise OSError(errno.ENXIO, "No such device or address")
    return "dp0"


@pytest.fixture
def watcher(monkeypatch):
    devices = {1: "lo", 2: "eth0"}
    dumps = []

    def dump_links():
        dumps.append(dict(devices))
        return dict(devices)

    monkeypatch.setattr(notifications, "_Listener", FakeListener)
    monkeypatch.setattr(notifications, "_vport_group_id", lambda: 9)
    monkeypatch.setattr(notifications, "_dump_links", dump_links)
    monkeypatch.setattr(notifications.socket, "if_indextoname", if_indextoname)
    watch = Notifications()
    watch.devices, watch.dumps = devices, dumps
    watch.link_queue = FakeListener.made[rtnl.NETLINK_ROUTE].queue
    watch.vport_queue = FakeListener.made[genl.NETLINK_GENERIC].queue
    yield watch
    watch.close()


def test_watcher_reports_links_then_vports_with_the_datapath_name(watcher):
    assert FakeListener.made[genl.NETLINK_GENERIC].group_id == 9
    assert FakeListener.made[rtnl.NETLINK_ROUTE].group_id == rtnl.RTNLGRP_LINK
    assert watcher.links == {1: "lo", 2: "eth0"}
    watcher.link_queue.append([new_link(5, "v0"), new_link(2, "eth0", flags=IFF_UP)])
    watcher.vport_queue.append([vport_message(messages.CMD_NEW, 4, "v0", 1)])
    assert watcher.read() == [LinkEvent(ADDED, "v0", 5), VportEvent(ADDED, 4, "v0", 1, "netdev", "dp0")]
    assert watcher.read() == []
    assert watcher.links == {1: "lo", 2: "eth0", 5: "v0"}


def test_datapath_gone_keeps_its_last_known_name(watcher):
    watcher.link_queue.append([new_link(8, "dp8")])
    watcher.vport_queue.append([vport_message(messages.CMD_DEL, 8, "v0", 1), vport_message(messages.CMD_DEL, 66, "v1", 2)])
    assert watcher.read()[1:] == [VportEvent(REMOVED, 8, "v0", 1, "netdev", "dp8"),
                                  VportEvent(REMOVED, 66, "v1", 2, "netdev", "")]


def test_link_overrun_drops_the_queue_and_reads_the_devices_again(watcher):
    watcher.devices[7] = "v7"
    del watcher.devices[2]
    watcher.link_queue.append("overrun")
    watcher.vport_queue.append([vport_message(messages.CMD_NEW, 4, "v0", 1)])
    assert watcher.read() == [Overrun("link"), VportEvent(ADDED, 4, "v0", 1, "netdev", "dp0")]
    assert len(watcher.dumps) == 2 and watcher.links == {1: "lo", 7: "v7"}
    watcher.link_queue.append([new_link(7, "v7"), del_link(2, "eth0")])     # already in the new dump
    assert watcher.read() == []


def test_vport_overrun(watcher):
    watcher.vport_queue.append("overrun")
    assert watcher.read() == [Overrun("vport")]
    assert len(watcher.dumps) == 1


def test_wait_times_out_empty_and_skips_state_changes(watcher):
    watcher.link_queue.append([new_link(2, "eth0", flags=IFF_UP)])
    start = time.monotonic()
    assert watcher.wait(0.2) == []
    assert 0.15 <= time.monotonic() - start < 2
    assert watcher.wait(0) == []


def test_wait_returns_what_is_queued_at_once(watcher):
    watcher.link_queue.append([del_link(2, "eth0")])
    assert watcher.wait(None) == [LinkEvent(REMOVED, "eth0", 2)]


def test_closed_watcher_refuses(watcher):
    fds = watcher.filenos()
    assert len(fds) == 2 and all(fd >= 0 for fd in fds)
    watcher.close()
    watcher.close()
    with pytest.raises(DpifError) as err:
        watcher.read()
    assert err.value.errno == errno.EBADF


def test_openvswitch_not_loaded_is_said_in_words(monkeypatch):
    def missing(family):
        raise genl.module_not_loaded(family)

    monkeypatch.setattr(genl, "multicast_groups", missing)
    with pytest.raises(DpifError) as err:
        Notifications()
    assert err.value.errno == errno.ENOENT and err.value.op == "open"
    assert "openvswitch kernel module is not loaded" in str(err.value)


def test_a_family_without_the_group_is_said_in_words(monkeypatch):
    monkeypatch.setattr(genl, "multicast_groups", lambda family: {"other": 3})
    with pytest.raises(DpifError) as err:
        Notifications()
    assert err.value.errno == errno.ENOENT
    assert str(err.value) == ("family 'ovs_vport': the openvswitch kernel module offers no 'ovs_vport' "
                              "notification group (it has: other)")
