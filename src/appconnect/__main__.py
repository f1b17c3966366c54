"""`appconnect` and `python -m appconnect`: the command line, launched with the cyclic collector paused.

Why: `appconnect serve` builds about 250,000 objects that live as long as the process (modules,
classes, the app, the connectors), and while they are built the cyclic collector traverses the
growing heap again and again: measured, a sixth of the time from launch to the first `/isAlive`.
Reference counting still frees everything else at once. The collector resumes as soon as it can
matter: when the served app has started (`appconnect.startup.settle_garbage_collector`, which first
freezes the start-up heap out of its reach), before a supervisor hands the serving to other
processes, and before any other command runs (`appconnect.cli`).
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    try:
        from appconnect.cli import main as run_command

        run_command()
    finally:
        gc.enable()


if __name__ == "__main__":
    main()
