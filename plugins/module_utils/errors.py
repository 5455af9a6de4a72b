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

``str(err)`` is the whole sentence, for example
``"vport 'vx0': port number 3 is taken by 'eth1'"``. Modules convert it to
``fail_json`` in exactly one place and return the fields alongside.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import errno as _errno
import os


class DpifError(Exception):
    """A failed operation on a datapath object, with a reason a person can act on."""

    def __init__(self, errno: int, op: str, obj: str, detail: str | None = None):
        self.errno = errno
        self.op = op
        self.obj = obj
        self.detail = detail if detail else os.strerror(errno)
        # More fields for the module result (e.g. every failed flow of a batch).
        self.extra = {}
        super().__init__(self.message)

    def __str__(self) -> str:
        # Layers above may sharpen ``detail`` after the fact; always say the latest.
        return self.message

    @property
    def message(self) -> str:
        if self.obj:
            return "%s: %s" % (self.obj, self.detail)
        return self.detail

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
        out.update(self.extra)
        return out


class FlowSyntaxError(DpifError):
    """A flow that cannot be parsed or is not valid for the kernel.

    Always ``EINVAL``. ``field`` names the attribute or path that is wrong
    (``ipv4.dst``, ``actions[2].set``), ``position`` is the 0-based character
    offset in the text form when there is one.
    """

    def __init__(self, text: str, detail: str, field: str | None = None,
                 position: int | None = None, op: str = "parse flow"):
        self.text = text
        self.field = field
        self.position = position
        where = []
        if field:
            where.append(field)
        if position is not None:
            where.append("at column %d" % (position + 1))
        if where:
            detail = "%s (%s)" % (detail, ", ".join(where))
        shown = text if len(text) <= 200 else text[:197] + "..."
        super().__init__(_errno.EINVAL, op, "flow '%s'" % shown, detail)

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["field"] = self.field
        d["position"] = self.position
        return d
