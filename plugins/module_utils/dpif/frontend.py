# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dpif front-end: the only caller of a provider.

It checks arguments before anything reaches the kernel, and turns a
provider's raw errno into a sentence that names the object and says what to
do ("vport 'vx0': port number 3 is taken by 'eth1'"). Everything above it
(the modules, the planner, the role's command-line entry point) talks to a
:class:`Dpif`, never to a provider.

An explanation replaces the errno's text with :meth:`DpifError.explain`,
never by assigning ``detail``: when the kernel said why it refused (its
extended ack), those words stay at the end of the sentence.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno
import logging
import os
from typing import Collection, Dict, Iterator, List, Optional, Tuple

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.netlink import messages
from ansible_collections.dpif.ovs.plugins.module_utils.dpif.provider import (
    NAME_MAX,
    UFID_MAX,
    DatapathInfo,
    DpifProvider,
    DumpedFlow,
    FlowDel,
    FlowGet,
    FlowOp,
    FlowPut,
    FlowReplies,
    PortInfo,
    PortRequest,
    flow_name,
)

log = logging.getLogger(__name__)

VPORT_TYPES = tuple(messages.VPORT_TYPES)
# Options each vport type accepts, and the defaults ovs-dpctl uses.
VPORT_OPTIONS = {
    "netdev": {},
    "internal": {},
    "gre": {},
    "vxlan": {"dst_port": 4789, "extensions": []},
    "geneve": {"dst_port": 6081},
}
VXLAN_EXTENSIONS = ("gbp",)


def feature_bits(names: List[str]) -> int:
    bits = 0
    for name in names:
        if name not in messages.DP_FEATURE_NAMES:
            raise DpifError(errno.EINVAL, "check arguments", "user feature '%s'" % name,
                            "unknown user feature; known: %s" % ", ".join(sorted(messages.DP_FEATURE_NAMES)))
        bits |= messages.DP_FEATURE_NAMES[name]
    return bits


def feature_names(bits: int) -> List[str]:
    names = [name for name, bit in sorted(messages.DP_FEATURE_NAMES.items()) if bits & bit]
    rest = bits & ~sum(messages.DP_FEATURE_NAMES.values())
    if rest:
        names.append("0x%x" % rest)
    return names


def check_name(kind: str, name: str) -> None:
    """Names become network device names, which the kernel's
    dev_valid_name() checks: 1 to 15 bytes of UTF-8, not "." or "..", no
    '/', ':', NUL or white space; its white space includes byte 0xa0, which
    is in the UTF-8 of many letters ('à'). Refused here, a name gets a
    reason; refused by the kernel, it gets EINVAL alone."""
    if not isinstance(name, str) or not name:
        raise DpifError(errno.EINVAL, "check arguments", kind, "a name is required")
    try:
        raw = name.encode("utf-8")
    except UnicodeEncodeError:
        raise DpifError(errno.EINVAL, "check arguments", "%s %r" % (kind, name),
                        "a name must be valid Unicode text (it has an unpaired surrogate)") from None
    obj = "%s '%s'" % (kind, name.replace("\0", "\\0"))
    if len(raw) > NAME_MAX:
        raise DpifError(errno.EINVAL, "check arguments", obj,
                        "name is %d bytes long; the kernel allows at most %d" % (len(raw), NAME_MAX))
    problem = _name_problem(name)
    if problem:
        raise DpifError(errno.EINVAL, "check arguments", obj, problem)


def _name_problem(name: str) -> Optional[str]:
    """Why dev_valid_name() refuses ``name`` (length aside), or None."""
    if "\0" in name:
        return "a device name may not contain a NUL character (the kernel would end it there)"
    if "/" in name or any(c.isspace() for c in name) or name in (".", ".."):
        return "a device name may not contain '/' or white space"
    if ":" in name:
        return "a device name may not contain ':' (the kernel keeps it for alias names such as eth0:1)"
    odd = [c for c in name if 0xa0 in c.encode("utf-8")]
    if odd:
        return ("a device name may not contain '%s': its UTF-8 holds byte 0xa0, which the kernel "
                "counts as white space" % odd[0])
    return None


#: The kernel takes the masks cache size as a u32.
U32_MAX = 0xffffffff
MASKS_CACHE_RULE = "it must be 0 (disabled) or a power of two no larger than 4096"


def check_masks_cache_size(name: str, size: Optional[int]) -> None:
    """``size`` must be None, or 0 or a power of two that fits the u32 the
    kernel is sent (OVS refuses others with a bare EINVAL). The upper limit
    is the kernel's to say (PCPU_MIN_UNIT_SIZE / 8, 4096 where the per-CPU
    unit is 32 KiB): its attribute policy refuses more, and says so."""
    if size is None:
        return
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= U32_MAX or size & (size - 1):
        raise DpifError(errno.EINVAL, "check arguments", "datapath '%s'" % name,
                        "masks cache size %r rejected: %s" % (size, MASKS_CACHE_RULE))


def normalize_options(name: str, vport_type: str, options: Optional[dict]) -> dict:
    """Check ``options`` against ``vport_type`` and fill in the defaults.

    Returns the full options the port will have, as ``PortInfo.options``
    reports them."""
    obj = "vport '%s'" % name
    if vport_type not in VPORT_OPTIONS:
        raise DpifError(errno.EINVAL, "check arguments", obj,
                        "unknown vport type '%s'; use one of %s" % (vport_type, ", ".join(VPORT_TYPES)))
    allowed = VPORT_OPTIONS[vport_type]
    if options is not None and not isinstance(options, dict):
        raise DpifError(errno.EINVAL, "check arguments", obj,
                        "options must be a mapping (dst_port, extensions), not %r" % (options,))
    options = dict(options or {})
    for key in sorted(options, key=str):
        if key not in allowed:
            if allowed:
                hint = "%s ports take only %s" % (vport_type, ", ".join(sorted(allowed)))
            else:
                hint = "%s ports take no options" % vport_type
            raise DpifError(errno.EINVAL, "check arguments", obj,
                            "option '%s' does not apply to %s ports; %s" % (key, vport_type, hint))
    result = {}
    if "dst_port" in allowed:
        port = options.get("dst_port", allowed["dst_port"])
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise DpifError(errno.EINVAL, "check arguments", obj,
                            "dst_port must be a UDP port number from 1 to 65535, not %r" % (port,))
        result["dst_port"] = port
    if "extensions" in allowed:
        exts = options.get("extensions") or []
        if isinstance(exts, str):
            exts = [exts]
        for ext in exts:
            if ext not in VXLAN_EXTENSIONS:
                raise DpifError(errno.EINVAL, "check arguments", obj,
                                "unknown vxlan extension '%s'; known: %s" % (ext, ", ".join(VXLAN_EXTENSIONS)))
        if exts:
            result["extensions"] = sorted(set(exts))
    return result


#: Why a datapath cannot be created under the name of an existing device.
NETDEV_NAME_TAKEN = ("a network device with this name exists and is not a datapath; "
                     "choose another name or delete the device")


def check_new_datapath(name: str) -> None:
    """What :meth:`Dpif.create` would refuse before the kernel is asked:
    for check mode, which asks nothing."""
    if netdev_exists(name):
        raise DpifError(errno.EEXIST, "create datapath", "datapath '%s'" % name, NETDEV_NAME_TAKEN)


#: From linux/if_arp.h and linux/if.h: the link types a netdev port may
#: have, and the loopback flag (the kernel refuses those devices itself).
ARPHRD_ETHER, ARPHRD_NONE, IFF_LOOPBACK = 1, 0xFFFE, 0x8


def _not_attachable(name: str) -> Optional[str]:
    """Why the kernel would refuse device ``name`` as a netdev port (the
    loopback device, a link type other than Ethernet), or None, also when
    sysfs cannot tell (the kernel then decides)."""
    try:
        with open(os.path.join("/sys/class/net", name, "flags")) as f:
            flags = int(f.read(), 16)
        with open(os.path.join("/sys/class/net", name, "type")) as f:
            link_type = int(f.read())
    except (OSError, ValueError):
        return None
    if flags & IFF_LOOPBACK:
        return "'%s' is a loopback device" % name
    if link_type not in (ARPHRD_ETHER, ARPHRD_NONE):
        return "'%s' is not an Ethernet device (link type %d)" % (name, link_type)
    return None


def netdev_exists(name: str) -> bool:
    return os.path.exists(os.path.join("/sys/class/net", name))


class Dpif:
    """Datapath operations with checked arguments and explained errors."""

    def __init__(self, provider: DpifProvider):
        self.provider = provider

    @classmethod
    def open_system(cls) -> Dpif:
        from ansible_collections.dpif.ovs.plugins.module_utils.dpif.system import SystemProvider
        try:
            return cls(SystemProvider())
        except DpifError as exc:
            raise _explain_common(exc) from None

    def close(self) -> None:
        self.provider.close()

    # -- datapaths --------------------------------------------------------

    def enumerate(self) -> List[DatapathInfo]:
        return self._call(self.provider.enumerate)

    def get(self, name: str) -> Optional[DatapathInfo]:
        """The datapath called ``name``, or None."""
        check_name("datapath", name)
        try:
            return self._call(self.provider.open, name, False)
        except DpifError as exc:
            if exc.errno == errno.ENODEV:
                return None
            raise

    def require(self, name: str) -> DatapathInfo:
        info = self.get(name)
        if info is None:
            raise DpifError(errno.ENODEV, "open datapath", "datapath '%s'" % name,
                            "no such datapath; create it first (dpif.ovs.ovs_datapath)")
        return info

    def create(self, name: str, user_features: int = 0,
               masks_cache_size: Optional[int] = None) -> DatapathInfo:
        check_name("datapath", name)
        check_masks_cache_size(name, masks_cache_size)
        try:
            return self._call(self.provider.open, name, True, user_features, masks_cache_size)
        except DpifError as exc:
            if exc.errno == errno.EEXIST:
                exc.explain(NETDEV_NAME_TAKEN)
            raise self._explain_features(exc, user_features, masks_cache_size) from None

    def set_features(self, name: str, user_features: int,
                     masks_cache_size: Optional[int] = None) -> DatapathInfo:
        check_masks_cache_size(name, masks_cache_size)
        try:
            return self._call(self.provider.set_features, name, user_features, masks_cache_size)
        except DpifError as exc:
            raise self._explain_features(exc, user_features, masks_cache_size) from None

    def destroy(self, name: str) -> None:
        try:
            self._call(self.provider.destroy, name)
        except DpifError as exc:
            if exc.errno == errno.ENODEV:
                exc.explain("no such datapath")
            raise

    @staticmethod
    def _explain_features(exc: DpifError, features: int, cache: Optional[int]) -> DpifError:
        if exc.errno == errno.EOPNOTSUPP:
            exc.explain("this kernel does not support user features %s" % ", ".join(feature_names(features)))
        elif exc.errno in (errno.EINVAL, errno.ERANGE) and cache is not None:
            # EINVAL: not a power of two (OVS's check); ERANGE: above the
            # kernel's limit (netlink's policy check, which says the limit).
            exc.explain("masks cache size %d rejected: %s" % (cache, MASKS_CACHE_RULE))
        return exc

    # -- ports ------------------------------------------------------------

    def ports(self, dp: str) -> List[PortInfo]:
        return list(self._call(self.provider.port_dump, dp))

    def port_by_name(self, dp: str, name: str) -> Optional[PortInfo]:
        try:
            return self._call(self.provider.port_query_by_name, dp, name)
        except DpifError as exc:
            if exc.errno == errno.ENODEV:
                return None
            raise

    def port_by_number(self, dp: str, port_no: int) -> Optional[PortInfo]:
        try:
            return self._call(self.provider.port_query_by_number, dp, port_no)
        except DpifError as exc:
            if exc.errno == errno.ENODEV:
                return None
            raise

    def check_port_request(self, dp: str, req: PortRequest, dp_exists: bool = True,
                           freed: Collection[str] = ()) -> PortRequest:
        """Everything we can check before sending: name, type, options, number,
        the netdev's existence, the port number's holder (when the datapath
        exists; a holder named in ``freed`` is one a planned step deletes
        first, so its number is free by then). Returns the request with
        default options filled in."""
        check_name("vport", req.name)
        obj = "vport '%s'" % req.name
        options = normalize_options(req.name, req.type, req.options)
        if req.port_no is not None:
            if isinstance(req.port_no, bool) or not isinstance(req.port_no, int) \
                    or not 1 <= req.port_no < messages.DP_MAX_PORTS:
                raise DpifError(errno.EFBIG if isinstance(req.port_no, int) and req.port_no > 0 else errno.EINVAL,
                                "check arguments", obj,
                                "port number %r is out of range: use 1 to %d (0 is the datapath's own port)"
                                % (req.port_no, messages.DP_MAX_PORTS - 1))
            holder = self.port_by_number(dp, req.port_no) if dp_exists else None
            if holder is not None and holder.name != req.name and holder.name not in freed:
                raise DpifError(errno.EBUSY, "create vport", obj,
                                "port number %d is taken by '%s'" % (req.port_no, holder.name))
        if req.type == "netdev" and not netdev_exists(req.name):
            raise DpifError(errno.ENODEV, "create vport", obj,
                            "no network interface named '%s' exists on this host; a netdev port "
                            "attaches an existing device" % req.name)
        if req.type == "netdev":
            reason = _not_attachable(req.name)
            if reason:
                raise DpifError(errno.EINVAL, "create vport", obj,
                                "%s; the kernel attaches only Ethernet-like devices as netdev ports" % reason)
        return PortRequest(name=req.name, type=req.type, options=options,
                           port_no=req.port_no, upcall_pids=list(req.upcall_pids))

    def port_add(self, dp: str, req: PortRequest) -> PortInfo:
        req = self.check_port_request(dp, req)
        try:
            return self._call(self.provider.port_add, dp, req)
        except DpifError as exc:
            raise self._explain_port_add(dp, req, exc) from None

    def _explain_port_add(self, dp: str, req: PortRequest, exc: DpifError) -> DpifError:
        detail = self._port_add_detail(dp, req, exc.errno)
        return exc.explain(detail) if detail else exc

    def _port_add_detail(self, dp: str, req: PortRequest, code: int) -> Optional[str]:
        """What a refused port_add's errno means for this request, or None."""
        if code == errno.EBUSY:
            holder = self.port_by_number(dp, req.port_no) if req.port_no is not None else None
            if holder is not None:
                return "port number %d is taken by '%s'" % (req.port_no, holder.name)
            return ("device '%s' is already attached elsewhere (a bridge, a bond or "
                    "another datapath); detach it first" % req.name)
        if code == errno.EEXIST:
            if req.type == "netdev":
                return "device '%s' is already a port of datapath '%s'" % (req.name, dp)
            detail = ("a network device named '%s' already exists; a %s port creates its "
                      "own device, so pick an unused name" % (req.name, req.type))
            if req.type == "gre" and req.name == "gre0":
                detail += " ('gre0' is the ip_gre module's own fallback device)"
            return detail
        if code == errno.ENODEV and req.type == "netdev":
            return "no network interface named '%s' exists on this host" % req.name
        if code == errno.EINVAL and req.type == "netdev":
            return ("device '%s' cannot be a netdev port (loopback, a non-Ethernet device, "
                    "or an Open vSwitch internal device)" % req.name)
        if code == errno.EADDRINUSE:
            return ("UDP port %s is already used by another tunnel device on this host; "
                    "choose another dst_port" % req.options.get("dst_port"))
        if code == errno.EAFNOSUPPORT:
            return "this kernel has no %s vport support (module vport-%s)" % (req.type, req.type)
        if code == errno.EFBIG:
            return "no free port number in datapath '%s'" % dp
        return None

    def port_del(self, dp: str, name: str) -> None:
        try:
            self._call(self.provider.port_del, dp, name)
        except DpifError as exc:
            if exc.errno == errno.ENODEV:
                exc.explain("not a port of datapath '%s'" % dp)
            elif exc.errno == errno.EINVAL:
                exc.explain("this is the datapath's own port; delete the datapath instead")
            raise

    # -- flows ------------------------------------------------------------
    #
    # Single puts, dels and gets are batches of one, as in OVS's dpif.c.
    # Per-op failures of a batch are returned, not raised: a planner wants
    # all of them at once; the rest of the batch went through.

    def operate(self, dp: str, ops: List[FlowOp]) -> List[Tuple[int, DpifError]]:
        """Run ``ops`` in one batch; return ``(index, error)`` for each op
        that failed, the error explained (naming datapath and flow). Raises
        DpifError only when the whole batch could not run (no such
        datapath, no permission)."""
        self._call(self.provider.operate, dp, ops)
        failed = [(i, explain_flow_error(dp, op)) for i, op in enumerate(ops) if op.error]
        if failed:
            # Debug, not warning: the caller decides what a failure means
            # (an EEXIST may be expected); log the first, count the rest.
            log.debug("%d of %d flow operations on datapath '%s' failed; first: %s",
                      len(failed), len(ops), dp, failed[0][1])
        return failed

    def _operate_one(self, dp: str, op: FlowOp) -> FlowOp:
        failed = self.operate(dp, [op])
        if failed:
            raise failed[0][1]
        return op

    def flow_put(self, dp: str, put: FlowPut) -> FlowPut:
        """Create or modify one flow (see FlowPut); raise the explained error."""
        return self._operate_one(dp, put)

    def flow_del(self, dp: str, delete: FlowDel) -> FlowDel:
        """Delete one flow by UFID or key; raise the explained error (ENOENT
        if it does not exist)."""
        return self._operate_one(dp, delete)

    def flow_get(self, dp: str, get: FlowGet) -> Optional[DumpedFlow]:
        """The flow ``get`` names, or None if there is none."""
        failed = self.operate(dp, [get])
        if failed:
            if get.error == errno.ENOENT:
                return None
            raise failed[0][1]
        return get.flow

    def flow_flush(self, dp: str) -> None:
        """Delete every flow of ``dp``."""
        self._call(self.provider.flow_flush, dp)

    # Both dumps read the provider's one dump, DpifProvider.flow_dump_replies.

    def flow_dump(self, dp: str, terse: bool = False, keys: bool = True) -> Iterator[DumpedFlow]:
        """Every flow of ``dp``, each a fresh DumpedFlow the caller owns
        (``terse``, ``keys``, order and errors: DpifProvider.flow_dump_replies)."""
        from_reply = DumpedFlow.from_reply
        for data, spans in self.flow_dump_replies(dp, terse, keys):
            for start, end in spans:
                yield from_reply(data, start, end)

    def flow_dump_replies(self, dp: str, terse: bool = False, keys: bool = True) -> Iterator[FlowReplies]:
        """Every flow of ``dp`` as datagrams of replies (see DpifProvider.flow_dump_replies)."""
        try:
            yield from self.provider.flow_dump_replies(dp, terse, keys)
        except DpifError as exc:
            log.debug("%s %s failed: %s", exc.op, exc.obj, exc)
            raise _explain_common(exc) from None

    def execute(self, dp: str, packet: bytes, key: bytes, actions: bytes,
                text: Optional[str] = None) -> None:
        """Send ``packet`` through ``actions`` as if it came in with ``key``'s
        metadata. ``text`` names the actions in messages."""
        if len(packet) < 14:
            raise DpifError(errno.EINVAL, "execute packet", "datapath '%s'" % dp,
                            "the packet is %d bytes long; it needs at least an Ethernet "
                            "header (14 bytes)" % len(packet))
        try:
            self._call(self.provider.execute, dp, packet, key, actions)
        except DpifError as exc:
            if exc.errno == errno.EINVAL:
                exc.explain("the kernel rejected the packet's key or the actions%s"
                            % (" '%s'" % text if text else ""))
            elif exc.errno == errno.EOVERFLOW:
                exc.explain(_FLOW_ERRORS[errno.EOVERFLOW])
            raise

    # -- common -----------------------------------------------------------

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except DpifError as exc:
            log.debug("%s %s failed: %s", exc.op, exc.obj, exc)
            raise _explain_common(exc) from None


def _explain_common(exc: DpifError) -> DpifError:
    if exc.errno == errno.EPERM:
        exc.explain("permission denied: changing kernel datapaths needs root (CAP_NET_ADMIN); "
                    "run the task with 'become: true'")
    elif exc.errno == errno.ENODEV and exc.obj.startswith("datapath"):
        exc.explain("no such datapath")
    return exc


def port_summary(port: PortInfo) -> Dict[str, object]:
    """A port in the shape ``ovs_vport`` takes as input."""
    out = {"name": port.name, "type": port.type, "port_no": port.port_no, "options": dict(port.options)}
    return out


_FLOW_ERRORS = {
    errno.ENOENT: "no such flow",
    errno.EEXIST: "a flow with this key already exists (or overlaps it)",
    errno.EINVAL: "the kernel rejected the flow's key, mask or actions",
    errno.EOVERFLOW: "the actions are nested too deeply (the kernel allows 16 levels)",
    errno.EMSGSIZE: "the actions are too large for the kernel",
    errno.ENOMEM: "the kernel ran out of memory for the flow (too many flows or masks?)",
    errno.ENODEV: "no such datapath",
    errno.ENOBUFS: ("the kernel's answer was lost (receive buffer overrun) and could not be "
                    "recovered; the outcome is unknown: dump the flows to check"),
}


def _flow_verb(op: FlowOp) -> str:
    if isinstance(op, FlowPut):
        return "create flow" if op.create else "modify flow"
    if isinstance(op, FlowDel):
        return "delete flow"
    return "get flow"


def explain_flow_error(dp: str, op: FlowOp) -> DpifError:
    """``op.error`` as a DpifError whose message names the datapath and the
    flow (``op.text``, else the UFID) and says what went wrong, ending with
    the kernel's own words (``op.kernel_msg``) when it gave some."""
    code = op.error
    detail = _FLOW_ERRORS.get(code)
    has_id = op.ufid is not None or getattr(op, "key", None) is not None
    if code == errno.EINVAL and op.ufid is not None and not 1 <= len(op.ufid) <= UFID_MAX:
        detail = "a UFID is 1 to %d bytes long, not %d" % (UFID_MAX, len(op.ufid))
    elif code == errno.EINVAL and not has_id:
        detail = "name the flow by key or UFID (to delete every flow, flush the datapath)"
    elif code == errno.EINVAL and not isinstance(op, FlowPut):
        detail = "the kernel rejected the flow's key"
    elif code == errno.EEXIST and op.ufid is not None:
        detail = "a flow with this UFID or this key already exists (or overlaps it)"
    elif code == errno.ENOENT and isinstance(op, FlowPut):
        if op.create and op.ufid is not None:
            detail = "the UFID names an installed flow with a different key"
        else:
            detail = "no such flow to modify (a flow is modified by UFID, else by exact key and mask)"
    obj = "datapath '%s', %s" % (dp, flow_name(op))
    # getattr: ops made by code older than the output field have none.
    exc = DpifError(code, _flow_verb(op), obj, detail, kernel_msg=op.kernel_msg)
    return _explain_common(exc)
