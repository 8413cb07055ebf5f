"""``python -m MODULE ARGS`` with the notices of quiet_warnings.yml ignored.

    python -m scripts.quiet rasa shell --model models/acme.tar.gz ...
    python -m scripts.quiet rasa_hybrid.server.nlu_server --model ...

``VERBOSE=1`` shows every notice.
"""

from __future__ import annotations

import runpy
import sys

from scripts import quiet_warnings


def main() -> None:
    """Installs the filters (unless VERBOSE), then runs the module named first."""
    if len(sys.argv) < 2:
        sys.exit("usage: python -m scripts.quiet MODULE [ARGS...]")
    module = sys.argv.pop(1)
    if not quiet_warnings.verbose_requested():
        entries = quiet_warnings.load()
        quiet_warnings.install(entries)
        if module == "rasa":
            quiet_warnings.register_with_rasa(entries)
    sys.argv[0] = module
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
