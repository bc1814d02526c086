"""An httpx client for the tracker's JSON API, used by the remote `tracker` commands.

Retries: a request that never reached the server (connection refused, connect timeout) is
always retried; one that may have reached it (read timeout, connection dropped before the
answer, 502/503/504 from a proxy) is retried only when repeating it is harmless: reads, token
revocation, and submissions, which carry an Idempotency-Key made once per logical submission
and sent unchanged on every attempt, so the server stores the update once and answers the
retry with the stored one. A 4xx is the server's considered answer and is never retried.
Waits grow exponentially (with jitter) and are bounded; TRACKER_CLIENT_RETRIES,
TRACKER_CLIENT_BACKOFF and TRACKER_CLIENT_TIMEOUT tune them.

Every failure is a `ClientError` subclass carrying the server's one-line reason (and the field
at fault), so the command line can map each kind to its own exit code.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from tracker.domain.progress_input import EvidenceFile, UpdateInput

RETRIES_ENV = "TRACKER_CLIENT_RETRIES"
BACKOFF_ENV = "TRACKER_CLIENT_BACKOFF"
TIMEOUT_ENV = "TRACKER_CLIENT_TIMEOUT"
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5  # seconds before the first retry; doubled for each further one
MAX_BACKOFF = 8.0
DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0
# Rendering a report takes seconds of server CPU (minutes for a city's detail edition).
REPORT_TIMEOUT = 600.0
JOB_POLL_FIRST = 0.25  # seconds before the first look at a report job; doubled up to the max
JOB_POLL_MAX = 2.0
JOB_LONG_POLL = 20  # seconds the server may hold a status request until the job moves on
RETRY_STATUSES = frozenset({502, 503, 504})
# Paths every tracker publishes in its OpenAPI document: how a tracker is told from other servers.
SIGNATURE_PATHS = ("/api/tokens", "/api/my/tasks", "/api/tasks/{task_id}/updates")
USER_AGENT = "tracker-cli/0.1"


class ClientError(Exception):
    """A refusal or failure with a one-line reason (Chinese), optionally naming a field."""

    def __init__(self, message: str, field: str | None = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.status_code = status_code


class BadRequest(ClientError):
    """400/413/422: the input was refused."""


class AuthFailed(ClientError):
    """401/403: no valid token (missing, expired, revoked), a wrong password, or not permitted."""


class NotFoundError(ClientError):
    """404: no such task, update, plan or report (or not visible to this account)."""


class ConflictError(ClientError):
    """409: someone else changed the same thing first."""


class ServerFailed(ClientError):
    """The tracker answered with an internal error (500)."""


class ServerUnreachable(ClientError):
    """No answer after the retries, or the answer came from something that is not a tracker."""


class NotATracker(ServerUnreachable):
    """The address answers, but not as a tracker does (a wrong --server URL)."""


_ERRORS_BY_STATUS: dict[int, type[ClientError]] = {
    400: BadRequest, 413: BadRequest, 422: BadRequest,
    401: AuthFailed, 403: AuthFailed,
    404: NotFoundError, 409: ConflictError,
}


def _number_from_env(name: str, default: float, low: float, high: float, integer: bool) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        kind = "整数" if integer else "数"
        raise BadRequest(f"环境变量 {name}=“{raw[:20]}”无效，应为 {low:g}-{high:g} 的{kind}", name)
    return value


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    max_backoff: float = MAX_BACKOFF

    @classmethod
    def from_env(cls) -> RetryPolicy:
        return cls(retries=int(_number_from_env(RETRIES_ENV, DEFAULT_RETRIES, 0, 10, True)),
                   backoff=_number_from_env(BACKOFF_ENV, DEFAULT_BACKOFF, 0, 60, False))

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds before retry number `retry` (0-based): exponential, jittered, capped."""
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        ceiling = min(self.max_backoff, self.backoff * (2 ** retry))
        return ceiling * (0.5 + random.random() / 2)


def timeout_from_env() -> float:
    return _number_from_env(TIMEOUT_ENV, DEFAULT_TIMEOUT, 0.1, 3600, False)


def new_idempotency_key() -> str:
    """One per logical submission; reused for every retry of that submission."""
    return str(uuid.uuid4())


def _describe(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.ConnectTimeout):
        return "连接超时"
    if isinstance(error, httpx.ConnectError):
        return f"连接失败（{error or '连接被拒绝'}）"
    if isinstance(error, httpx.ReadTimeout | httpx.WriteTimeout):
        return "等待应答超时"
    if isinstance(error, httpx.PoolTimeout):
        return "等待可用连接超时"
    if isinstance(error, httpx.RemoteProtocolError):
        return "连接在收到应答前断开"
    if isinstance(error, httpx.ProxyError):
        return f"代理服务器出错（{error}）"
    return f"连接中断（{type(error).__name__}）"


def _never_sent(error: httpx.TransportError) -> bool:
    """The request cannot have reached the server: repeating it is always harmless."""
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
                      | httpx.ProxyError)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


class TrackerClient:
    """One server, one optional bearer token. Use as a context manager (or call `close`)."""

    def __init__(self, server: str, token: str | None = None, *, timeout: float | None = None,
                 retry: RetryPolicy | None = None, transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic):
        self.server = server
        self.token = token
        self.retry = retry or RetryPolicy.from_env()
        seconds = timeout if timeout is not None else timeout_from_env()
        self._sleep = sleep
        self._clock = clock
        self._http = httpx.Client(
            base_url=server, transport=transport, follow_redirects=False,
            timeout=httpx.Timeout(seconds, connect=min(seconds, CONNECT_TIMEOUT)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    def __enter__(self) -> TrackerClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- the API ------------------------------------------------------------------------------

    def check_server(self) -> None:
        """Raise NotATracker unless the address serves this tracker's API (before any password
        is sent to it)."""
        schema = self._call("GET", "/schema/openapi.json", what="接口说明")
        paths = schema.get("paths") if isinstance(schema, dict) else None
        if not isinstance(paths, dict) or not all(path in paths for path in SIGNATURE_PATHS):
            raise NotATracker(f"{self.server} 不是政务公开工作要点跟踪（tracker）服务："
                              "它的接口说明里没有 tracker 的接口；请检查 --server 地址")

    def create_token(self, username: str, password: str, name: str) -> dict:
        return self._call("POST", "/api/tokens", retry_safe=False,
                          json={"username": username, "password": password, "name": name})

    def revoke_token(self) -> None:
        self._call("POST", "/api/tokens/revoke", expect="none")

    def me(self) -> dict:
        return self._call("GET", "/api/me")

    def my_tasks(self, period: str | None = None) -> list[dict]:
        return self._call("GET", "/api/my/tasks", params={"period": period} if period else None)

    def task(self, task_id: int) -> dict:
        return self._call("GET", f"/api/tasks/{task_id}")

    def submit_update(self, task_id: int, update: UpdateInput, files: Sequence[EvidenceFile] = (),
                      idempotency_key: str | None = None) -> dict:
        """Submit one update (JSON, or multipart with evidence files). Every retry carries the
        same Idempotency-Key, so however often it is sent the server stores it once."""
        headers = {"Idempotency-Key": idempotency_key or new_idempotency_key()}
        fields = {
            "period": update.period, "percent": update.percent, "state": update.state,
            "work_done": update.work_done, "problems": update.problems,
            "next_steps": update.next_steps,
        }
        if not files:
            return self._call("POST", f"/api/tasks/{task_id}/updates", headers=headers,
                              json={**fields, "evidence_links": list(update.evidence_links)})
        form = {**{key: str(value) for key, value in fields.items()},
                "evidence_links": "\n".join(update.evidence_links)}
        uploads = [("attachments", (file.name, file.content, file.content_type)) for file in files]
        return self._call("POST", f"/api/tasks/{task_id}/updates/multipart", headers=headers,
                          data=form, files=uploads)

    def get_update(self, update_id: int) -> dict:
        return self._call("GET", f"/api/updates/{update_id}")

    def generate_report(self, plan_id: int, period: str, unit: str | None = None,
                        as_of: str | None = None, wait: float = REPORT_TIMEOUT,
                        on_progress: Callable[[dict], None] | None = None) -> dict:
        """Start the report and wait for its job; return the archived report. Safe to repeat
        (the server joins a running job for the same report and returns the archived copy of
        the same content), so a request whose answer was lost is sent again."""
        body: dict[str, Any] = {"period": period, "edition": "unit" if unit else "monthly"}
        if unit:
            body["unit"] = unit
        if as_of:
            body["as_of"] = as_of
        job = self._call("POST", f"/api/plans/{plan_id}/reports", json=body)
        waited = 0.0
        pause = JOB_POLL_FIRST
        while job.get("state") == "running":
            if on_progress is not None:
                on_progress(job)
            if waited >= wait:
                raise ServerUnreachable(f"报告仍在生成（已等待 {waited:.0f} 秒，进行到“{job.get('step')}”）；"
                                        "请稍后用同样的参数再次请求，将取回生成好的报告")
            # The server answers as soon as the job moves on (long poll); a server that
            # answers at once anyway (an older one) is looked at again after a pause.
            started = self._clock()
            seen = (job.get("state"), job.get("step"))
            job = self._call("GET", job["status_url"], params={"wait": JOB_LONG_POLL},
                             timeout=JOB_LONG_POLL + 15)
            held = self._clock() - started
            waited += held
            if (job.get("state"), job.get("step")) == seen and held < pause:
                self._sleep(pause)
                waited += pause
                pause = min(pause * 2, JOB_POLL_MAX)
        if job.get("state") != "done" or not isinstance(job.get("report"), dict):
            raise ServerFailed(job.get("error") or "报告生成失败，请联系管理员", "report")
        return job["report"]

    def download_report(self, report_id: int) -> bytes:
        return self._call("GET", f"/api/reports/{report_id}/download", expect="bytes",
                          timeout=REPORT_TIMEOUT)

    # --- the machinery ------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, retry_safe: bool = True, expect: str = "json",
              what: str = "接口", headers: Mapping[str, str] | None = None,
              timeout: float | None = None, **kwargs) -> Any:
        """Send with retries; return parsed JSON (or bytes, or None); raise a ClientError."""
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if timeout is not None:
            kwargs["timeout"] = httpx.Timeout(timeout, connect=CONNECT_TIMEOUT)
        attempts = self.retry.retries + 1
        problem = ""
        retry_after = None
        for attempt in range(attempts):
            if attempt:
                self._sleep(self.retry.delay(attempt - 1, retry_after))
            retry_after = None
            try:
                response = self._http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as error:
                problem = _describe(error)
                if _never_sent(error) or retry_safe:
                    continue
                raise ServerUnreachable(
                    f"请求已发到 {self.server}，但{problem}，结果不明；请稍后查看后再决定是否重试"
                ) from None
            if response.status_code in RETRY_STATUSES:
                problem = f"服务器暂时不可用（HTTP {response.status_code}）"
                if retry_safe:
                    retry_after = _retry_after(response)
                    continue
                raise ServerUnreachable(f"{self.server} {problem}，请稍后重试")
            return self._answer(response, path, expect, what)
        raise ServerUnreachable(f"无法连接 {self.server}：{problem}（共尝试 {attempts} 次）")

    def _answer(self, response: httpx.Response, path: str, expect: str, what: str) -> Any:
        status = response.status_code
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        if 200 <= status < 300:
            if expect == "none":
                return None
            if expect == "bytes":
                return response.content
            if "json" in content_type:
                try:
                    return response.json()
                except ValueError:
                    pass
            raise self._not_a_tracker(f"{path} 的应答不是 JSON（{content_type or '无类型'}）")
        if 300 <= status < 400:
            location = response.headers.get("location", "")
            raise NotATracker(f"{self.server} 把请求重定向到 {location[:120] or '别处'}；"
                              "如果那是 tracker 的地址，请用它作为 --server")
        error = self._error_body(response, content_type)
        if error is None:
            if status == 413:
                raise BadRequest("请求过大：附件总大小超过服务器允许的上限", "attachments", status)
            if status >= 500:
                raise ServerFailed(f"服务器出错（HTTP {status}），请联系管理员", None, status)
            raise self._not_a_tracker(f"{what} {path} 答以 HTTP {status}（{content_type or '无类型'}）")
        detail, field = error
        kind = _ERRORS_BY_STATUS.get(status, ServerFailed if status >= 500 else BadRequest)
        raise kind(detail, field, status)

    @staticmethod
    def _error_body(response: httpx.Response, content_type: str) -> tuple[str, str | None] | None:
        """(detail, field) of the tracker's error shape, or None when it is something else."""
        if "json" not in content_type:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, dict) or not isinstance(body.get("detail"), str) or (
                body.get("status_code") != response.status_code):
            return None
        field = body.get("field")
        return body["detail"].strip() or f"HTTP {response.status_code}", (
            field if isinstance(field, str) else None)

    def _not_a_tracker(self, what: str) -> NotATracker:
        return NotATracker(f"{self.server} 看来不是政务公开工作要点跟踪（tracker）服务：{what}；"
                           "请检查 --server 地址")
