# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the nftcsf modules share: finding csf and running it with --json."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json


def find_csf(module):
    """The csf executable's path, or None when nftcsf is not installed (yet)."""
    return module.get_bin_path(module.params["csf_bin"], required=False)


def require_csf(module, check_mode_result):
    """csf's path. Without csf, check mode reports `check_mode_result` (what installing and configuring would
    change on a fresh host) and a real run fails with a clear message."""
    path = find_csf(module)
    if path:
        return path
    if module.check_mode:
        module.exit_json(msg="csf (%s) is not installed yet; after it is, this task would run" % module.params["csf_bin"],
                         **check_mode_result)
    module.fail_json(msg="csf (%s) was not found; install nftcsf first" % module.params["csf_bin"])
    return None


def run_json(module, argv, ok_codes=(0,)):
    """csf's JSON answer; a non-JSON answer fails the task."""
    rc, out, err = module.run_command(argv)
    try:
        data = json.loads(out) if out.strip() else {}
    except ValueError:
        module.fail_json(msg="csf did not answer with JSON", cmd=argv, rc=rc, stdout=out, stderr=err)
    if rc not in ok_codes:
        module.fail_json(msg="%s failed: %s" % (" ".join(argv), data.get("error") or err), rc=rc)
    return rc, data
