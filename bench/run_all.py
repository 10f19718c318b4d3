"""Every benchmark in one run, floors first: `make bench`. `--tiny` is the smoke run
`make test` does to prove the scripts still work; its figures mean nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = [
    "limits.py",
    "redeem.py",
    "profile.py",
    "audit_cost.py",
    "passphrase.py",
    "notifications.py",
    "create.py",
    "dashboard.py",
    "ledger.py",
    "scale_out.py",
]


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = 0
    for script in SCRIPTS:
        result = subprocess.run([sys.executable, str(here / script), *sys.argv[1:]])
        failed += result.returncode != 0
        print()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
