#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: csf_info
short_description: Report nftcsf's version, what lfd watches, and where an address is
description:
  - Read-only. Runs C(csf -v --json), C(csf --lfd status --json) and, with O(ip), C(csf -g IP --json).
  - Never reports a change; works in check mode.
version_added: "0.2.0"
options:
  ip:
    description: An address or CIDR to look up in csf.allow, csf.deny, the temporary lists and the kernel's sets.
    type: str
author:
  - nftcsf developers (@nftcsf)
extends_documentation_fragment:
  - nftcsf.csf.csf
"""

EXAMPLES = r"""
- name: Is lfd watching SSH, and is the scanner banned?
  nftcsf.csf.csf_info:
    ip: 192.0.2.66
  register: csf

- name: Fail when lfd does not read sshd's log
  ansible.builtin.assert:
    that: csf.lfd.status.sources | selectattr('key', 'equalto', 'SSHD_LOG') | list | length > 0
"""

RETURN = r"""
installed:
  description: Whether csf was found.
  returned: always
  type: bool
version:
  description: The installed nftcsf version.
  returned: when installed
  type: str
lfd:
  description: C(csf --lfd status --json) - C(running), C(pid), and C(status) with C(sources) (each check's key and
    what it reads), C(bans_last_hour) and C(recent) bans.
  returned: when installed
  type: dict
address:
  description: C(csf -g --json) for O(ip) - C(lists) (file, line, exact or contains), C(temporary) entries with
    their remaining time, C(kernel_sets) that hold it.
  returned: when ip is given and csf is installed
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.nftcsf.csf.plugins.module_utils.csf_cli import find_csf, run_json


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ip=dict(type="str"),
            csf_bin=dict(type="str", default="csf"),
        ),
        supports_check_mode=True,
    )
    csf = find_csf(module)
    if not csf:
        module.exit_json(changed=False, installed=False)
    result = dict(changed=False, installed=True)
    result["version"] = run_json(module, [csf, "-v", "--json"])[1].get("version")
    # Exit 1 means "lfd is not running"; the JSON says so too.
    result["lfd"] = run_json(module, [csf, "--lfd", "status", "--json"], ok_codes=(0, 1))[1]
    if module.params["ip"]:
        result["address"] = run_json(module, [csf, "-g", module.params["ip"], "--json"])[1]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
