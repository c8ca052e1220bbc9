"""Stands in for get-pip.py when ansible-test bootstraps pip into the virtual environments of its sanity tests.

ansible-test downloads get-pip.py from ci-files.testing.ansible.com, which this machine cannot reach (PyPI it
can). The same job, offline: pip from the interpreter's own ensurepip wheel, then `pip install` with the
arguments ansible-test gave (the pinned pip version among them) from PyPI. ansible-test hides pip's
configuration (PIP_CONFIG_FILE=/dev/null), so the system's CA bundle is named here; the pinned pip then uses
the system's certificates by itself (truststore).
"""
import ensurepip
import os
import subprocess
import sys

SYSTEM_CA = "/etc/ssl/certs/ca-certificates.crt"

if __name__ == "__main__":
    ensurepip.bootstrap(upgrade=True, default_pip=True)
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    if os.path.exists(SYSTEM_CA):
        args = ["--cert", SYSTEM_CA] + args
    sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
