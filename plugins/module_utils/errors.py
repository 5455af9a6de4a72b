# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one error type.

Every layer (the flow language, the providers, the front-end, the planner)
reports failure by raising :class:`DpifError`. It carries:

* ``errno``: a positive errno value (``errno.ENODEV``, ``errno.EINVAL``...),
  the kernel's own answer when the kernel gave one;
* ``op``: what we were doing, in words ("create vport", "parse flow");
* ``obj``: what we were doing it to ("vport 'vx0'", "datapath 'dp0'");
* ``detail``: what a person needs to fix it; defaults to the errno's text.
  When the kernel explained its refusal (a netlink extended ack), its words
  end the detail: ``"...; the kernel says: integer out of range
  (attribute OVS_DP_ATTR_MASKS_CACHE_SIZE: u32 from 0 to 4096)"``; they are
  also in ``kernel_msg``. A layer that knows better says so with
  :meth:`DpifError.explain`, which keeps them.

``str(err)`` is the whole sentence, for example
``"vport 'vx0': port number 3 is taken by 'eth1'"``. Modules convert it to
``fail_json`` in exactly one place (``module_runner.run``) and return the
fields alongside; an exception of any other type that gets that far is a
bug, reported as an :class:`InternalError`.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno as _errno
import os
import traceback

#: How the kernel's own words are appended to ``detail``.
KERNEL_SAYS = "; the kernel says: "
#: What an InternalError asks of a module's user.
REPORT_TO_ANSIBLE_USERS = ("please report it with the task and its traceback (ANSIBLE_DISPLAY_TRACEBACK=error "
                           "shows it; -vvv before ansible-core 2.19)")


class DpifError(Exception):
    """A failed operation on a datapath object, with a reason a person can act on."""

    def __init__(self, errno: int, op: str, obj: str, detail: str | None = None,
                 kernel_msg: str | None = None):
        self.errno = errno
        self.op = op
        self.obj = obj
        self.kernel_msg = kernel_msg
        self.detail = self._with_kernel_msg(detail if detail else os.strerror(errno))
        # More fields for the module result (e.g. every failed flow of a batch).
        self.extra = {}
        super().__init__(self.message)

    def __str__(self) -> str:
        # Layers above may sharpen ``detail`` or ``obj`` after the fact; always say the latest.
        return self.message

    def explain(self, detail: str) -> DpifError:
        """Replace ``detail`` with a better explanation, keeping the kernel's
        own words after it. Returns the error, for ``raise exc.explain(...)``."""
        self.detail = self._with_kernel_msg(detail)
        return self

    def _with_kernel_msg(self, detail: str) -> str:
        if self.kernel_msg:
            return detail + KERNEL_SAYS + self.kernel_msg
        return detail

    @property
    def reason(self) -> str:
        """The sentence without the object: what to print under a heading
        that already names it (a document path, a list of failed flows)."""
        return self.detail

    @property
    def message(self) -> str:
        if self.obj:
            return "%s: %s" % (self.obj, self.reason)
        return self.reason

    @property
    def errno_name(self) -> str:
        # Python names 95 ENOTSUP; the kernel's own name for it is EOPNOTSUPP.
        if self.errno == _errno.EOPNOTSUPP:
            return "EOPNOTSUPP"
        return _errno.errorcode.get(self.errno, str(self.errno))

    def to_dict(self) -> dict:
        """The fields a module returns next to ``msg``."""
        out = {
            "errno": self.errno_name,
            "op": self.op,
            "object": self.obj,
        }
        if self.kernel_msg:
            out["kernel_msg"] = self.kernel_msg
        out.update(self.extra)
        return out


class FlowSyntaxError(DpifError):
    """A flow that cannot be parsed or is not valid for the kernel.

    Always ``EINVAL``. ``field`` names the attribute or path that is wrong
    (``ipv4.dst``, ``actions[2].set``), ``position`` is the 0-based character
    offset in the text form when there is one. Both stay out of ``detail``
    (so a caller can restate the error for another form of the flow) and are
    added when the error is printed: ``"flow 'vlan(vid=5000)': vid out of
    range (max 4095) (vlan.vid, at column 6)"``.
    """

    def __init__(self, text: str, detail: str, field: str | None = None,
                 position: int | None = None, op: str = "parse flow"):
        self.text = text
        self.field = field
        self.position = position
        shown = text if len(text) <= 200 else text[:197] + "..."
        super().__init__(_errno.EINVAL, op, "flow '%s'" % shown, detail)

    @property
    def where(self) -> str:
        """``field`` and ``position`` in words ("ipv4.src, at column 10"), or ""."""
        parts = []
        if self.field:
            parts.append(self.field)
        if self.position is not None:
            parts.append("at column %d" % (self.position + 1))
        return ", ".join(parts)

    @property
    def reason(self) -> str:
        where = self.where
        return "%s (%s)" % (self.detail, where) if where else self.detail

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["field"] = self.field
        d["position"] = self.position
        return d


class InternalError(DpifError):
    """An exception no layer turned into a DpifError: a bug in dpif.ovs.

    Made by ``module_runner.run`` (and the restore command line) from
    whatever escaped, so the user gets one sentence, not a traceback:
    what was being done, the exception, where in the code, and what to send
    in a report (``report``: by default, how Ansible shows the traceback).
    ``errno`` is the exception's own when it is an OSError, else
    ENOTRECOVERABLE (there is nothing to retry). ``traceback`` is the
    formatted traceback, for ``fail_json(exception=...)``, which Ansible
    shows on request, or for a command line to print.
    """

    def __init__(self, exc: BaseException, doing: str, report: str = REPORT_TO_ANSIBLE_USERS):
        kind = type(exc)
        # "struct.error" says more than "error"; builtins need no module.
        self.exc_type = kind.__qualname__ if kind.__module__ == "builtins" else "%s.%s" % (kind.__module__, kind.__qualname__)
        self.traceback = "".join(traceback.format_exception(kind, exc, exc.__traceback__))
        code = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
        text = str(exc) or self.exc_type
        detail = "unexpected %s while %s: %s%s. This is a bug in dpif.ovs, %s" % (
            self.exc_type, doing, text, _origin(exc), report)
        super().__init__(code if isinstance(code, int) and code > 0 else _errno.ENOTRECOVERABLE,
                         "internal error", "", detail)


#: Where this collection's code is in a traceback's file names (also under AnsiballZ).
_COLLECTION_PART = "/dpif/ovs/plugins/"


def _origin(exc: BaseException) -> str:
    """`` (in module_utils/dpif/system.py line 210, _operate_slice)``: the
    innermost frame of the traceback in this collection (else the
    innermost), for the report. The first frame is the one that caught the
    exception (``module_runner.run``), named only when it raised it too."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    frames = frames[1:] or frames
    ours = [f for f in frames if _COLLECTION_PART in f.filename.replace(os.sep, "/")]
    last = (ours or frames)[-1]
    path = last.filename.replace(os.sep, "/")
    path = path.split(_COLLECTION_PART, 1)[1] if _COLLECTION_PART in path else os.path.basename(path)
    return " (in %s line %d, %s)" % (path, last.lineno, last.name)
