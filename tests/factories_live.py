"""``live_url``: the test's app served over real HTTP on 127.0.0.1, for clients that no one
here wrote (``requests``, Authlib's client, fhirpy).

The werkzeug server runs in a thread of this process, one request at a time, while the
test thread waits on its HTTP call; its requests use the scoped session, which the test's
transaction fixture binds to the test's connection. So the server sees what the test
committed, and the usual rollback at the end of the test still cleans up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
