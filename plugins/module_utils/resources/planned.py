# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode on a host that earlier tasks have not set up yet.

In ``--check`` nothing is created, so a play's flow task finds no datapath
and no ports where its datapath and vport tasks would have made them. Each
module then plans against what those tasks would leave: an empty datapath,
and ports that exist under the names the flows give. It says so in a
warning, so a misspelt name shows up there (a real run refuses it).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from typing import Collection, Dict, Iterable, List

#: Port numbers handed to names that are not ports yet count down from the
#: highest a flow's in_port may hold; the kernel allocates from 1 up, and a
#: number a port of the datapath has is skipped.
FIRST_PLANNED_PORT = 0xFFFF


def stand_in_number(taken: Collection[int]) -> int:
    """The highest port number, counting down from FIRST_PLANNED_PORT, that
    is not in ``taken``: a stand-in for a port the kernel will number, good
    enough to parse and print a flow that names it."""
    number = FIRST_PLANNED_PORT
    while number in taken:
        number -= 1
    return number


def with_stand_ins(numbers: Dict[str, int], names: Iterable[str]) -> Dict[str, int]:
    """``numbers`` with a stand-in number for each of ``names`` it lacks
    (or holds as None or 0)."""
    out = dict((name, number) for name, number in numbers.items() if number or name not in names)
    for name in names:
        if not out.get(name):
            out[name] = stand_in_number(set(out.values()))
    return out


def missing_datapath_warning(dp: str) -> str:
    """The warning of a check-mode task whose datapath is not there yet."""
    return "datapath '%s' does not exist yet; planning as if an earlier task created it" % dp


class PlannedPorts(dict):
    """Port numbers by name, as a flow parser reads them: the datapath's
    ports, and for any other name a placeholder number, recorded in
    :attr:`planned` (only for check mode: a real run needs real ports)."""

    def __init__(self, numbers: Dict[str, int]):
        super().__init__(numbers)
        self.planned: Dict[str, int] = {}

    def __bool__(self) -> bool:
        return True         # "no port names known" would make the parser refuse names

    def __contains__(self, name) -> bool:
        return isinstance(name, str) or super().__contains__(name)

    def __missing__(self, name: str) -> int:
        number = stand_in_number(set(self.values()))
        self.planned[name] = number
        self[name] = number
        return number

    def names(self) -> Dict[int, str]:
        """Placeholder number -> name, so plans print the names, never the placeholders."""
        return dict((number, name) for name, number in self.planned.items())

    def warnings(self, dp: str, expected: Collection[str] = ()) -> List[str]:
        """The warning naming the placeholder ports, but those in
        ``expected`` (ports the caller's own plan adds first)."""
        names = sorted(name for name in self.planned if name not in expected)
        if not names:
            return []
        one = len(names) == 1
        return ["%s %s of datapath '%s' yet; planning as if an earlier task added %s "
                "(a real run refuses a name that is still not a port)"
                % (", ".join("'%s'" % name for name in names),
                   "is not a port" if one else "are not ports", dp, "it" if one else "them")]
