#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: csf_config
short_description: Set csf.conf keys idempotently
description:
  - Rewrites the C(KEY = "value") lines of csf.conf for the given keys, keeping every other line and comment.
  - The new file is validated with C(csf --check) before it replaces the old one (temp file, fsync, rename),
    so a bad value fails the task and changes nothing.
  - Reports C(changed) only when a value differs; notify a handler that runs C(csf -r) to apply it.
  - In check mode on a host where nftcsf is not installed yet, reports every key as changed.
version_added: "0.1.0"
options:
  settings:
    description: 'Keys and values, for example C(TCP_IN) with C("22,80,443").'
    type: dict
    required: true
  path:
    description: csf.conf; defaults to C($CSF_ROOT/etc/csf/csf.conf).
    type: path
  csf_bin:
    description: The csf executable used for validation.
    type: str
    default: csf
author:
  - nftcsf developers (@nftcsf)
"""

EXAMPLES = r"""
- name: Open the web ports and leave TESTING mode
  nftcsf.csf.csf_config:
    settings:
      TCP_IN: "22,80,443"
      TESTING: "0"
  notify: restart csf
"""

RETURN = r"""
changed_keys:
  description: Keys whose value changed.
  returned: always
  type: list
  elements: str
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.nftcsf.csf.plugins.module_utils.csf_cli import require_csf

LINE = re.compile(r'^\s*([A-Za-z0-9_]+)\s*=\s*"?(.*?)"?\s*$')


def render(key, value):
    return '%s = "%s"\n' % (key, value)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            settings=dict(type="dict", required=True),
            path=dict(type="path"),
            csf_bin=dict(type="str", default="csf"),
        ),
        supports_check_mode=True,
    )
    settings = {k: str(v) for k, v in module.params["settings"].items()}
    for key, value in settings.items():
        if not re.match(r"^[A-Z0-9_]+$", key) or '"' in value or "\n" in value:
            module.fail_json(msg="invalid setting %s = %r" % (key, value))
    path = module.params["path"] or os.path.join(os.environ.get("CSF_ROOT", "/"), "etc/csf/csf.conf")
    # A fresh host in check mode: nftcsf is not installed yet, so every key would be set.
    csf = require_csf(module, dict(changed=True, changed_keys=sorted(settings)))
    try:
        with open(path) as f:
            lines = f.readlines()
    except OSError as e:
        module.fail_json(msg="cannot read %s: %s" % (path, e))
    changed, seen, out = [], set(), []
    for line in lines:
        m = LINE.match(line)
        if m and not line.lstrip().startswith("#") and m.group(1) in settings:
            key = m.group(1)
            seen.add(key)
            if m.group(2) != settings[key]:
                changed.append(key)
                line = render(key, settings[key])
        out.append(line)
    for key in sorted(set(settings) - seen):
        changed.append(key)
        out.append(render(key, settings[key]))
    before, after = "".join(lines), "".join(out)
    result = dict(changed=bool(changed), changed_keys=sorted(changed))
    if module._diff:
        result["diff"] = dict(before=before, after=after, before_header=path, after_header=path)
    if module.check_mode or not changed:
        module.exit_json(**result)
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".csf.conf.", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(after)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        # A hard link keeps the old file for the rollback; both renames are atomic, so csf.conf never goes missing.
        backup = path + ".ansible-previous"
        if os.path.exists(backup):
            os.unlink(backup)
        os.link(path, backup)
        os.rename(tmp, path)
        rc, out_text, err = module.run_command([csf, "--check"])
        if rc != 0:
            os.rename(backup, path)
            module.fail_json(msg="csf --check rejected the new settings; csf.conf is unchanged", stdout=out_text, stderr=err)
        os.unlink(backup)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
