# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the document check adds to the schema so that a valid document is
one the kernel and ovs_flow take: device names by the kernel's rules (bytes,
not characters), masks cache sizes, one action list per flow."""

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.state_schema import ROOT, name_problem, validate_document


@pytest.mark.parametrize("name,words", [
    ("\u00e9" * 8, "is 16 bytes in UTF-8"),
    ("\U0001F600" * 4, "is 16 bytes in UTF-8"),
    ("a:b", "cannot be a device name"),
    ("dp\u00e0", "byte 0xa0"),              # UTF-8 c3 a0: the kernel's isspace() says yes
    ("nul\x00x", "'nul\\0x'"),
    (".", "cannot be a device name"),
    ("..", "cannot be a device name"),
])
def test_names_the_kernel_refuses(name, words):
    assert words in name_problem(name)
    errors = validate_document({ROOT: [{"name": "dp0", "vports": [{"name": name, "type": "internal"}]}]})
    assert len(errors) == 1 and errors[0].startswith(ROOT + "[0].vports[0].name: ")


@pytest.mark.parametrize("name", ["dp0", "dp\u00e9", "vxlan_sys_4789", "a" * 15, "\u00e9" * 7])
def test_names_the_kernel_takes(name):
    assert name_problem(name) is None
    assert validate_document({ROOT: [{"name": name}]}) == []


@pytest.mark.parametrize("size,ok", [(0, True), (1, True), (256, True), (4096, True),
                                     (3, False), (8192, False), (2 ** 40, False)])
def test_masks_cache_size(size, ok):
    errors = validate_document({ROOT: [{"name": "dp0", "masks_cache_size": size}]})
    assert errors == ([] if ok else ["%s[0].masks_cache_size: %d is not 0 or a power of two up to 4096 "
                                     "(the kernel refuses it)" % (ROOT, size)])


def test_a_flow_listed_twice_needs_the_same_actions():
    flows = ["in_port(p1),eth() p1", "in_port(1),eth() 7", "in_port(1),eth() p1",
             {"in_port": "p1", "eth": {}, "actions": [2]}]
    errors = validate_document({ROOT: [{"name": "dp0", "vports": [{"name": "p1", "type": "internal", "port_no": 1}],
                                        "flows": flows}]})
    # flows[2] repeats flows[0] (p1 is port 1) with the same actions: allowed, as ovs_flow allows it.
    assert errors == [
        "%s[0].flows[1]: the same flow (same key and mask) as flows[0], with other actions; list each flow once" % ROOT,
        "%s[0].flows[3]: the same flow (same key and mask) as flows[0], with other actions; list each flow once" % ROOT,
    ]
