# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where a module's work meets AnsibleModule.

Modules are an argument spec plus ``main()`` calling :func:`run`. The work
itself is a function ``fn(params, check_mode, diff) -> result dict`` in
``module_utils/resources``; it decides everything first, then acts only when
not in check mode, so check mode follows the same code path as a real run.
A :class:`DpifError` becomes ``fail_json`` here and nowhere else.
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

import importlib.util

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError


def run(module, fn, needs_pyroute2: bool = False) -> None:
    """Run ``fn`` for ``module`` and exit with its result or its DpifError.

    ``needs_pyroute2``: the work may import pyroute2 (only ovs_vport's safety
    check does); fail at once, and say so, when it is not installed. Looked
    up without importing it: the import costs seconds in the sandbox."""
    if needs_pyroute2 and importlib.util.find_spec("pyroute2") is None:
        module.fail_json(msg=missing_required_lib("pyroute2"))
    try:
        result = fn(module.params, check_mode=module.check_mode, diff=module._diff)
    except DpifError as exc:
        module.fail_json(msg=str(exc), **exc.to_dict())
    for warning in result.pop("warnings", None) or ():
        module.warn(warning)
    module.exit_json(**result)
