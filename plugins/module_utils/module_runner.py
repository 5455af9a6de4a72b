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

from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError


def run(module, fn) -> None:
    """Run ``fn`` for ``module`` and exit with its result or its DpifError."""
    try:
        result = fn(module.params, check_mode=module.check_mode, diff=module._diff)
    except DpifError as exc:
        module.fail_json(msg=str(exc), **exc.to_dict())
    for warning in result.pop("warnings", None) or ():
        module.warn(warning)
    module.exit_json(**result)
