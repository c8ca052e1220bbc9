#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: csf_ui_password
short_description: Set the password of nftcsf's web UI (csf-ui) idempotently
description:
  - Asks C(csf --ui-passwd --verify) whether the stored scrypt hash (C(UI_PASS), or a read-only account's line in
    C(/etc/csf/ui/ui.readonly)) is of O(password); only when it is not does it run C(csf --ui-passwd), which
    writes a new hash under csf's lock. The password goes to csf on standard input, never on a command line.
  - C(changed) is exact; check mode changes nothing. csf-ui reads its accounts at start, so notify a handler
    that restarts C(csf-ui.service).
version_added: "0.3.0"
options:
  password:
    description: The password, at least 8 characters.
    type: str
    required: true
  read_only:
    description: A read-only account's name; the admin account (C(UI_USER)) when omitted.
    type: str
author:
  - nftcsf developers (@nftcsf)
extends_documentation_fragment:
  - nftcsf.csf.csf
"""

EXAMPLES = r"""
- name: Set the UI admin's password from the vault
  nftcsf.csf.csf_ui_password:
    password: "{{ vault_csf_ui_password }}"
  notify: Restart csf-ui

- name: A read-only account for the help desk
  nftcsf.csf.csf_ui_password:
    read_only: helpdesk
    password: "{{ vault_helpdesk_password }}"
"""

RETURN = r"""
account:
  description: The account whose password was checked (C(UI_PASS) or the read-only name).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.nftcsf.csf.plugins.module_utils.csf_cli import require_csf


def main():
    module = AnsibleModule(
        argument_spec=dict(
            password=dict(type="str", required=True, no_log=True),
            read_only=dict(type="str"),
            csf_bin=dict(type="str", default="csf"),
        ),
        supports_check_mode=True,
    )
    password, name = module.params["password"], module.params["read_only"]
    account = name or "UI_PASS"
    if len(password.encode()) < 8 or "\n" in password or "\r" in password:
        module.fail_json(msg="the UI password must have at least 8 characters and no line break")
    csf = require_csf(module, dict(changed=True, account=account))
    argv = [csf, "--ui-passwd"] + (["--read-only", name] if name else [])
    rc, out, err = module.run_command(argv + ["--verify"], data=password)
    if rc == 0:
        module.exit_json(changed=False, account=account)
    if rc != 1:
        module.fail_json(msg="csf --ui-passwd --verify failed: %s" % (err or out).strip(), rc=rc)
    if module.check_mode:
        module.exit_json(changed=True, account=account)
    rc, out, err = module.run_command(argv, data=password)
    if rc != 0:
        module.fail_json(msg="csf --ui-passwd failed: %s" % (err or out).strip(), rc=rc)
    module.exit_json(changed=True, account=account)


if __name__ == "__main__":
    main()
