"""``WXHUB_LOG_JSON=true``: every line a process writes is one JSON object, tracebacks included."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from wxhub.processes import REPO_ROOT

PROGRAM = textwrap.dedent(
    """
    import logging, warnings
    from libs.common.observability.logging import bind_ids, configure_logging, get_logger

    configure_logging("INFO", json=True)
    bind_ids(message_id="m-1")
    get_logger("wxhub.test").info("own_event", answer=42)
    logging.getLogger("sqlalchemy.engine.Engine").info("SELECT 1")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade  -> 0001")
    logging.getLogger("uvicorn.error").info("Uvicorn running on http://127.0.0.1:1")
    try:
        1 / 0
    except ZeroDivisionError:
        logging.getLogger("wxhub.test").exception("handled_failure")
    warnings.warn("something old", DeprecationWarning, stacklevel=1)
    raise RuntimeError("the process ends here")
    """
)


def test_every_line_is_json_with_tracebacks_inside() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "always", "-c", PROGRAM],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # fails on any non-JSON line
    events = {r["event"]: r for r in records}
    assert events["own_event"]["answer"] == 42
    assert events["own_event"]["message_id"] == "m-1"
    assert events["SELECT 1"]["logger"] == "sqlalchemy.engine.Engine"
    assert events["Running upgrade  -> 0001"]["logger"] == "alembic.runtime.migration"
    assert events["Uvicorn running on http://127.0.0.1:1"]["level"] == "info"
    assert "ZeroDivisionError" in events["handled_failure"]["exception"]
    assert any("something old" in r["event"] for r in records)
    uncaught = events["uncaught_exception"]
    assert uncaught["level"] == "critical"
    assert "Traceback" in uncaught["exception"]
    assert "RuntimeError: the process ends here" in uncaught["exception"]


def test_console_format_stays_readable_when_json_is_off() -> None:
    program = (
        "from libs.common.observability.logging import configure_logging, get_logger\n"
        "configure_logging('INFO')\n"
        "get_logger('wxhub.test').info('own_event', answer=42)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert "own_event" in result.stderr
    assert "answer=42" in result.stderr
    assert not result.stderr.lstrip().startswith("{")
