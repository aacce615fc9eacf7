"""``python -m wxhub.smoke``: start ``wxhub dev`` on free ports, drive every front door once, stop.

What CI runs after the tests, and what an operator runs to see that a checkout works end to end:

1. ``wxhub dev`` (what ``make run`` starts) on free ports and a scratch SQLite file;
2. every service answers ``/readyz``;
3. a signed WeChat text callback, in plaintext and in AES, gets the engine's answer;
4. a signed business notification is accepted, reaches ``delivered``, shows up exactly once in
   the WeChat API sandbox's call log, and WeChat's delivery report (pushed by the sandbox)
   moves it to ``confirmed``;
5. the demo admin logs in to the admin API;
6. the stack stops on SIGTERM, cleanly (exit 0, no traceback in its log).

Exit status 0 when every step passed, 1 otherwise (with the stack's log); bounded by ``--timeout``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from libs.common.wechat import parse_xml
from sandboxes.wechat_push import CallbackPusher
from services.gateway.api.auth import signed_headers
from wxhub.demo.account import DEMO
from wxhub.demo.admin import USERS
from wxhub.demo.outbound import CUSTOMERS, DEMO_SYSTEM
from wxhub.processes import REPO_ROOT

# Every port ``wxhub dev`` opens is one of these settings (libs/common/settings.py).
PORT_SETTINGS = (
    "gateway_port",
    "admin_port",
    "stats_port",
    "engine_port",
    "dispatcher_port",
    "wechat_sandbox_port",
    "sms_sandbox_port",
    "core_sandbox_port",
)
SERVICE_PORTS = {
    "gateway": "gateway_port",
    "admin_api": "admin_port",
    "stats": "stats_port",
    "engine": "engine_port",
    "dispatcher": "dispatcher_port",
}
FINAL_STATUSES = {
    "delivered",
    "fallback_sent",
    "suppressed",
    "failed",
    "expired",
    "cancelled",
}
# WeChat's delivery report moves "delivered" on to one of these (R-OUT-9).
REPORTED_STATUSES = {"confirmed", "blocked", "failed_on_wechat"}


class SmokeFailure(Exception):
    """A step of the smoke run did not do what it should."""


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports nobody listens on right now (held together while chosen)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


class Deadline:
    """One time budget shared by every wait of a run."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def poll(self, what: str, probe: Callable[[], Any], *, every: float = 0.1) -> Any:
        """Call ``probe`` until it returns something truthy; raise when the budget runs out."""
        last_error: Exception | None = None
        while True:
            try:
                result = probe()
                if result:
                    return result
            except (httpx.HTTPError, SmokeFailure) as exc:
                last_error = exc
            if self.left() <= 0:
                raise SmokeFailure(f"timed out waiting for {what} (last error: {last_error})")
            time.sleep(min(every, self.left()))


@dataclass
class DevStack:
    """A running ``wxhub dev`` process: its ports, its log and how to stop it."""

    ports: dict[str, int]
    process: subprocess.Popen[bytes]
    log_path: Path
    host: str = "127.0.0.1"

    def url(self, port_setting: str) -> str:
        return f"http://{self.host}:{self.ports[port_setting]}"

    def log(self, tail: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def wait_ready(self, deadline: Deadline) -> None:
        """Every service answers ``/readyz`` with 200 (fails early if the process died)."""
        for service, setting in SERVICE_PORTS.items():

            def ready(setting: str = setting) -> bool:
                if self.process.poll() is not None:
                    raise _Exited(self.process.returncode)
                response = httpx.get(f"{self.url(setting)}/readyz", timeout=2.0)
                return response.status_code == 200

            try:
                deadline.poll(f"{service} /readyz", ready, every=0.2)
            except _Exited as exc:
                raise SmokeFailure(
                    f"wxhub dev exited with {exc.code} before it was ready"
                ) from None

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, wait, and the exit status (SIGKILL and -9 if it does not stop in time)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class _Exited(Exception):
    def __init__(self, code: int | None) -> None:
        super().__init__(code)
        self.code = code


@contextmanager
def dev_stack(workdir: Path, *, extra_env: dict[str, str] | None = None) -> Iterator[DevStack]:
    """Start ``wxhub dev`` on free ports with a SQLite file in ``workdir``; stop it on exit.

    ``WXHUB_*`` variables of the caller's environment are left out, so the run checks the
    embedded default whatever the shell has set; ``extra_env`` adds some back.
    """
    ports = dict(zip(PORT_SETTINGS, free_ports(len(PORT_SETTINGS)), strict=True))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXHUB_")}
    env.update({f"WXHUB_{name.upper()}": str(port) for name, port in ports.items()})
    env["WXHUB_DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir}/var/wxhub.db"
    env.update(extra_env or {})
    log_path = workdir / "wxhub-dev.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "wxhub.cli", "dev"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    stack = DevStack(ports=ports, process=process, log_path=log_path)
    try:
        yield stack
    finally:
        stack.stop()


def check_callback(stack: DevStack, *, encrypt: bool, msg_id: int) -> str:
    """Push a signed text callback asking for a fund's NAV; returns the engine's answer."""
    pusher = CallbackPusher(DEMO.token, DEMO.appid, DEMO.original_id, DEMO.encoding_aes_key)
    xml = pusher.text("oWxhubSmoke", "基金 000001", msg_id=msg_id)
    params, body = pusher.sign(xml, encrypt=encrypt)
    response = httpx.post(
        f"{stack.url('gateway_port')}/wechat/{DEMO.code}", params=params, content=body, timeout=10
    )
    if response.status_code != 200:
        raise SmokeFailure(f"callback answered {response.status_code}: {response.text[:300]}")
    reply = parse_xml(pusher.open_reply(response.content) if encrypt else response.content)
    content = str(reply.get("Content", ""))
    if reply.get("MsgType") != "text" or "000001" not in content:
        raise SmokeFailure(f"callback reply is not the fund's answer: {reply}")
    return content


def demo_signed(body: bytes) -> dict[str, str]:
    """The business API's HMAC headers of the demo business system for ``body``."""
    return signed_headers(DEMO_SYSTEM.code, DEMO_SYSTEM.secret, body)


def demo_notification(idempotency_key: str, customer: int = 0) -> tuple[bytes, dict[str, str]]:
    """A signed ``fund_confirm`` notification to a demo customer (the first unless told):
    body and headers."""
    _openid, customer_no, _ = CUSTOMERS[customer]
    body = json.dumps(
        {
            "account": DEMO.code,
            "event_type": "fund_confirm",
            "to": {"customer_no": customer_no},
            "data": {
                "fund_name": "wxhub 稳健货币A",
                "fund_code": "000001",
                "amount": "10,000.00",
                "shares": "9,876.54",
                "confirm_date": "2025-06-30",
            },
            "idempotency_key": idempotency_key,
        },
        ensure_ascii=False,
    ).encode()
    return body, {"Content-Type": "application/json", **demo_signed(body)}


def check_notification(stack: DevStack, deadline: Deadline) -> dict[str, Any]:
    """Submit a signed ``fund_confirm`` notification; returns its WeChat API call once delivered."""
    openid = CUSTOMERS[0][0]
    body, headers = demo_notification(f"smoke-{time.time_ns()}")
    base = f"{stack.url('gateway_port')}/api/v1/notifications"
    accepted = httpx.post(base, content=body, headers=headers, timeout=10)
    if accepted.status_code != 202:
        raise SmokeFailure(f"notification answered {accepted.status_code}: {accepted.text[:300]}")
    notification_id = accepted.json()["id"]

    def settled() -> dict[str, Any] | None:
        status: dict[str, Any] = httpx.get(
            f"{base}/{notification_id}", headers=demo_signed(b""), timeout=5
        ).json()
        return status if status.get("status") in REPORTED_STATUSES | FINAL_STATUSES else None

    def reported() -> dict[str, Any] | None:
        status = settled()
        return status if status is not None and status["status"] != "delivered" else None

    status = deadline.poll("the notification to settle", settled, every=0.2)
    if status["status"] not in {"delivered", "confirmed"}:
        raise SmokeFailure(f"notification not delivered: {status}")
    status = deadline.poll("WeChat's delivery report", reported, every=0.2)
    if status["status"] != "confirmed":
        raise SmokeFailure(f"notification not confirmed by WeChat: {status}")
    calls = httpx.get(
        f"{stack.url('wechat_sandbox_port')}/__sandbox__/calls",
        params={"path": "/cgi-bin/message/template/send"},
        timeout=5,
    ).json()["calls"]
    sent = [c for c in calls if c["body"].get("client_msg_id") == notification_id]
    if len(sent) != 1 or sent[0]["body"].get("touser") != openid:
        raise SmokeFailure(f"expected one template message to {openid}, the sandbox saw {sent}")
    return dict(sent[0]["body"])


def check_admin_login(stack: DevStack) -> str:
    """Log in as the demo admin; returns the granted access token."""
    username, *_, password = USERS[0]
    response = httpx.post(
        f"{stack.url('admin_port')}/api/v1/auth/login",
        data={"username": username, "password": password},
        timeout=10,
    )
    if response.status_code != 200 or not response.json().get("access_token"):
        raise SmokeFailure(f"admin login answered {response.status_code}: {response.text[:300]}")
    return str(response.json()["access_token"])


def run_smoke(workdir: Path, timeout: float, say: Callable[[str], None]) -> None:
    """Every step against one ``wxhub dev``; raises :class:`SmokeFailure` on the first failure."""
    started = time.monotonic()
    deadline = Deadline(timeout)

    def step(text: str) -> None:
        say(f"smoke: {text} ({time.monotonic() - started:.1f} s)")

    with dev_stack(workdir) as stack:
        try:
            stack.wait_ready(deadline)
            step("every service is ready")
            check_callback(stack, encrypt=False, msg_id=time.time_ns())
            step("plaintext callback answered by the engine")
            check_callback(stack, encrypt=True, msg_id=time.time_ns() + 1)
            step("AES callback answered by the engine")
            check_notification(stack, deadline)
            step("business notification delivered through the WeChat API sandbox and confirmed")
            check_admin_login(stack)
            step("admin API login")
        except (SmokeFailure, httpx.HTTPError, KeyError, ValueError) as exc:
            raise SmokeFailure(f"{exc}\n--- wxhub dev log (tail) ---\n{stack.log()}") from exc
        code = stack.stop()
        log = stack.log(tail=10**7)
        if code != 0 or "Traceback" in log:
            raise SmokeFailure(f"wxhub dev stopped with {code}:\n{stack.log()}")
        step("stopped cleanly")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wxhub.smoke", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--timeout", type=float, default=100.0, help="seconds for the whole run")
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch folder (database, log)"
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="wxhub-smoke-"))
    # A SIGTERM (CI's time limit, an operator's kill) unwinds like Ctrl-C, so wxhub dev is stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        run_smoke(workdir, args.timeout, lambda line: print(line, flush=True))
    except SmokeFailure as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("smoke: interrupted", file=sys.stderr, flush=True)
        return 1
    finally:
        if args.keep:
            print(f"smoke: scratch folder kept at {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("smoke: passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
