# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The option every module that runs csf shares.
    DOCUMENTATION = r"""
options:
  csf_bin:
    description: The csf executable (a name looked up in PATH, or a path).
    type: str
    default: csf
"""
