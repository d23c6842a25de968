"""The application as gunicorn serves it in the cluster test, with one test hook.

When ``CLUSTER_PAUSE_ON`` names an audit action, the process writes the file
``CLUSTER_PAUSE_FILE`` once that action's event is flushed (the transaction still
open) and sleeps, so that the test can kill it at that very point.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from catalogue.audit import services as audit
from wsgi import app

__all__ = ["app"]

_PAUSE_ON = os.environ.get("CLUSTER_PAUSE_ON")

if _PAUSE_ON:
    _record = audit.record

    def _paused_record(session, action, *args, **kwargs):
        event = _record(session, action, *args, **kwargs)
        if action == _PAUSE_ON:
            session.flush()
            Path(os.environ["CLUSTER_PAUSE_FILE"]).write_text(action)
            time.sleep(600)
        return event

    audit.record = _paused_record
