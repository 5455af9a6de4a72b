# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place where a module's work meets AnsibleModule.

Modules are an argument spec plus ``main()`` calling :func:`run`. The work
itself is a function ``fn(params, check_mode, diff) -> result dict`` in
``module_utils/resources``; it decides everything first, then acts only when
not in check mode, so check mode follows the same code path as a real run.
A :class:`DpifError` becomes ``fail_json`` here and nowhere else.

This is also the safety net: any other exception that reaches it (a
ValueError, a KeyError, a struct.error...) is a bug, and becomes an
:class:`InternalError` failure, one sentence saying what was being done, the
exception and where to report it, instead of a traceback or "MODULE
FAILURE". Its traceback goes in the result's ``exception`` field, which
Ansible shows on request (ANSIBLE_DISPLAY_TRACEBACK=error; -vvv before
ansible-core 2.19).
"""

from __future__ import absolute_import, annotations, division, print_function

__metaclass__ = type

from typing import Callable, Optional

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.validation import check_type_dict

from ansible_collections.dpif.ovs.plugins.module_utils import netns
from ansible_collections.dpif.ovs.plugins.module_utils.errors import DpifError, InternalError


def new_module(**kwargs) -> AnsibleModule:
    """``AnsibleModule(**kwargs)``, except that an option with suboptions
    given something other than a mapping fails with a sentence naming the
    option: ansible-core itself raises TypeError for a number there (a
    traceback) and words a string without naming the option."""
    spec = kwargs["argument_spec"]
    # Looked up at call time: ansible-test replaces it (returning None) to read argument specs.
    problem = _not_a_mapping(basic._load_params() or {}, spec)
    if problem is None:
        return AnsibleModule(**kwargs)
    # Every option raw: nothing of ansible-core's checks can trip on the value.
    raw = AnsibleModule(argument_spec=dict((name, dict(type="raw")) for name in spec),
                        supports_check_mode=kwargs.get("supports_check_mode", False))
    raw.fail_json(msg=problem, errno="EINVAL", op="check arguments", object="")


def _not_a_mapping(params: dict, spec: dict) -> Optional[str]:
    for name, option in sorted(spec.items()):
        value = params.get(name)
        if not option.get("options") or value is None or isinstance(value, dict):
            continue
        if isinstance(value, str):
            try:
                check_type_dict(value)      # JSON or key=value text: ansible-core converts it
                continue
            except (TypeError, ValueError):
                pass
        return ("argument '%s' must be a mapping of %s, not %s %r"
                % (name, ", ".join(sorted(option["options"])), type(value).__name__, value))
    return None


def run(module, fn: Callable[..., dict]) -> None:
    """Run ``fn`` for ``module`` and exit with its result, or fail with its
    DpifError (or with an InternalError for any other exception)."""
    try:
        if module.params.get("netns"):
            netns.enter(module.params["netns"])     # once, for the whole process: it runs this one task
        result = fn(module.params, check_mode=module.check_mode, diff=module._diff)
        warnings = result.pop("warnings", None) or ()
    except DpifError as exc:
        module.fail_json(msg=str(exc), **exc.to_dict())
    except Exception as exc:    # the safety net: nothing else may reach the user raw
        bug = InternalError(exc, "running %s" % task_name(module, fn))
        module.fail_json(msg=str(bug), exception=bug.traceback, **bug.to_dict())
    for warning in warnings:
        module.warn(warning)
    module.exit_json(**result)


def task_name(module, fn: Callable[..., dict]) -> str:
    """The module's name ("dpif.ovs.ovs_flow"), for messages. Outside
    Ansible (tests, scripts) AnsibleModule has none; then the resource's
    ("dpif.ovs resource flow")."""
    name = getattr(module, "_name", "") or ""
    if "ovs_" in name:
        return name
    return "dpif.ovs resource %s" % getattr(fn, "__module__", "?").rsplit(".", 1)[-1]
