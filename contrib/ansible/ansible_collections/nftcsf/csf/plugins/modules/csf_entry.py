#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: csf_entry
short_description: Allow, deny or temporarily block an address with nftcsf's csf
description:
  - Adds or removes an address (or CIDR) in csf.allow, csf.deny or the temporary lists by calling C(csf --json).
  - Reads the current state with C(csf -g --json) first, so C(changed) is exact, check mode changes nothing
    and diff mode shows which lists hold the address before and after.
  - A temporary entry that already exists is left alone (its timer is not restarted).
version_added: "0.1.0"
options:
  ip:
    description: Address or CIDR.
    type: str
    required: true
  state:
    description: Where the address should be.
    type: str
    choices: [allow, deny, tempdeny, tempallow, absent]
    default: deny
  ttl:
    description: Lifetime of a temporary entry, in seconds or with m/h/d (C(3600), C(2h)). Required for temp states.
    type: str
  ports:
    description: Ports of a temporary entry (C(22), C(80,443)); all ports when omitted.
    type: list
    elements: str
  direction:
    description: Direction of a temporary entry.
    type: str
    choices: [in, out, inout]
  comment:
    description: Comment written to the list file.
    type: str
author:
  - nftcsf developers (@nftcsf)
extends_documentation_fragment:
  - nftcsf.csf.csf
"""

EXAMPLES = r"""
- name: Ban an address for two hours on SSH
  nftcsf.csf.csf_entry:
    ip: 203.0.113.7
    state: tempdeny
    ttl: 2h
    ports: ["22"]
    comment: brute force

- name: Trust the office network
  nftcsf.csf.csf_entry:
    ip: 198.51.100.0/24
    state: allow
    comment: office

- name: Remove an address from every list
  nftcsf.csf.csf_entry:
    ip: 203.0.113.7
    state: absent
"""

RETURN = r"""
lists:
  description: Where the address is after the task (C(allow), C(deny), C(tempallow), C(tempdeny)).
  returned: always
  type: list
  elements: str
commands:
  description: The csf commands run (empty in check mode or when nothing changed).
  returned: always
  type: list
  elements: list
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.nftcsf.csf.plugins.module_utils.csf_cli import require_csf, run_json


def where(module, csf, ip):
    """The lists that hold exactly this address (not a containing network)."""
    data = run_json(module, [csf, "-g", ip, "--json"])[1]
    held = set()
    for hit in data.get("lists", []):
        if hit.get("match") == "exact":
            held.add(hit["list"])
    for t in data.get("temporary", []):
        if t.get("ip") == ip or t.get("ip") == data.get("ip"):
            held.add("temp" + t["type"])
    return held


def plan(p, held):
    """The csf command lines that bring the address to the wanted state."""
    ip, state, csf = p["ip"], p["state"], p["csf_bin"]
    comment = [p["comment"]] if p.get("comment") else []
    if state == "absent":
        removals = {"allow": "-ar", "deny": "-dr"}
        cmds, seen = [], set()
        for lst in sorted(held):
            flag = "-tr" if lst.startswith("temp") else removals[lst]
            if flag not in seen:
                cmds.append([csf, flag, ip, "--json"])
                seen.add(flag)
        return cmds
    if state in held:
        return []
    if state in ("allow", "deny"):
        return [[csf, "-a" if state == "allow" else "-d", ip] + comment + ["--json"]]
    cmd = [csf, "-ta" if state == "tempallow" else "-td", ip, str(p["ttl"])]
    if p.get("ports"):
        cmd += ["-p", ",".join(p["ports"])]
    if p.get("direction"):
        cmd += ["-d", p["direction"]]
    return [cmd + comment + ["--json"]]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ip=dict(type="str", required=True),
            state=dict(type="str", default="deny", choices=["allow", "deny", "tempdeny", "tempallow", "absent"]),
            ttl=dict(type="str"),
            ports=dict(type="list", elements="str"),
            direction=dict(type="str", choices=["in", "out", "inout"]),
            comment=dict(type="str"),
            csf_bin=dict(type="str", default="csf"),
        ),
        required_if=[("state", "tempdeny", ["ttl"]), ("state", "tempallow", ["ttl"])],
        supports_check_mode=True,
    )
    p = module.params
    # A fresh host in check mode: nftcsf is not installed yet, so the entry would be added.
    wanted = [] if p["state"] == "absent" else [p["state"]]
    p["csf_bin"] = require_csf(module, dict(changed=p["state"] != "absent", lists=wanted, commands=[]))
    before = where(module, p["csf_bin"], p["ip"])
    cmds = plan(p, before)
    after = set(before)
    if p["state"] == "absent":
        after = set()
    elif cmds:
        after.add(p["state"])
    result = dict(changed=bool(cmds), lists=sorted(after), commands=[] if module.check_mode else cmds)
    if module._diff:
        result["diff"] = dict(before="%s: %s\n" % (p["ip"], ", ".join(sorted(before)) or "not listed"),
                              after="%s: %s\n" % (p["ip"], ", ".join(sorted(after)) or "not listed"))
    if module.check_mode or not cmds:
        module.exit_json(**result)
    for cmd in cmds:
        data = run_json(module, cmd)[1]
        if not data.get("ok", False):
            module.fail_json(msg="%s failed: %s" % (" ".join(cmd), data.get("error")), **result)
    result["lists"] = sorted(where(module, p["csf_bin"], p["ip"]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
