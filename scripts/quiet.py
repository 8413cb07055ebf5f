"""``python -m MODULE ARGS`` with the notices of quiet_warnings.yml ignored.

    python -m scripts.quiet rasa shell --model models/acme.tar.gz ...
    python -m scripts.quiet channels.nlu_server --model ...

``VERBOSE=1`` shows every notice.
"""

from __future__ import annotations

import runpy
import sys

from scripts import quiet_warnings


def main() -> None:
    """Installs the filters, then runs the module named by the first argument."""
    if len(sys.argv) < 2:
        sys.exit("usage: python -m scripts.quiet MODULE [ARGS...]")
    quiet_warnings.install()
    module = sys.argv.pop(1)
    if module == "rasa":
        quiet_warnings.register_with_rasa()
    sys.argv[0] = module
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
