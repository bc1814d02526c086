"""How each channel kind wants a notice: pure functions, notice in, request (or e-mail) out.

- generic webhook: ``{"event", "title", "text", "plan", "data"}`` as JSON; with a secret, an
  ``X-Tracker-Signature: sha256=<hex HMAC of the body>`` header;
- WeCom (企业微信) group robot: ``{"msgtype": "markdown", "markdown": {"content"}}``, content at
  most 4096 bytes;
- DingTalk (钉钉) robot: ``{"msgtype": "markdown", "markdown": {"title", "text"}}``; with a
  secret, ``timestamp`` (ms) and ``sign`` = Base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}"))
  added to the URL's query, as DingTalk documents;
- e-mail: a plain-text UTF-8 message.

Every request carries ``X-Tracker-Dedupe-Key`` so a receiver can drop a repeat (see
``sender`` on when one can happen).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from http import HTTPStatus

import httpx

WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 18000
TRUNCATED = "\n…（内容过长，已截断）"


@dataclass(frozen=True)
class Notice:
    """One notice as queued: what happened, said in Chinese, and the facts for machines."""

    event: str
    title: str
    text: str  # plain text; lines starting with "- " are list items
    plan: dict | None = None  # {"id", "title"}
    data: dict = field(default_factory=dict)
    dedupe_key: str = ""

    def payload(self) -> str:
        return json.dumps({"title": self.title, "text": self.text, "plan": self.plan,
                           "data": self.data}, ensure_ascii=False)

    @classmethod
    def from_payload(cls, event: str, payload: str, dedupe_key: str = "") -> Notice:
        data = json.loads(payload)
        return cls(event=event, title=data["title"], text=data["text"], plan=data.get("plan"),
                   data=data.get("data") or {}, dedupe_key=dedupe_key)


@dataclass(frozen=True)
class HttpDelivery:
    url: str
    body: bytes
    headers: dict[str, str]


def _json_body(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def _headers(notice: Notice) -> dict[str, str]:
    return {"Content-Type": "application/json; charset=utf-8",
            "X-Tracker-Dedupe-Key": notice.dedupe_key}


def truncate_bytes(text: str, limit: int) -> str:
    """Cut text to at most ``limit`` UTF-8 bytes, on a character boundary, saying so."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len(TRUNCATED.encode("utf-8"))
    return text.encode("utf-8")[:room].decode("utf-8", errors="ignore") + TRUNCATED


def _markdown_safe(text: str) -> str:
    # Robots read <font ...> and similar tags in markdown; user text must not bring its own.
    return text.replace("<", "＜").replace(">", "＞")


def webhook_request(notice: Notice, url: str, secret: str | None = None) -> HttpDelivery:
    body = _json_body({"event": notice.event, "title": notice.title, "text": notice.text,
                       "plan": notice.plan, "data": notice.data})
    headers = _headers(notice)
    if secret:
        digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
        headers["X-Tracker-Signature"] = f"sha256={digest}"
    return HttpDelivery(url=url, body=body, headers=headers)


def wecom_request(notice: Notice, url: str) -> HttpDelivery:
    content = truncate_bytes(f"**{_markdown_safe(notice.title)}**\n{_markdown_safe(notice.text)}",
                             WECOM_MAX_BYTES)
    return HttpDelivery(url=url, headers=_headers(notice),
                        body=_json_body({"msgtype": "markdown", "markdown": {"content": content}}))


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature, Base64 (the URL encoding is left to whoever builds the URL)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()).decode()


def dingtalk_request(notice: Notice, url: str, secret: str | None = None,
                     timestamp_ms: int | None = None) -> HttpDelivery:
    # DingTalk's markdown needs two trailing spaces (or a blank line) for a line break.
    text = "  \n".join(_markdown_safe(notice.text).split("\n"))
    text = truncate_bytes(f"#### {_markdown_safe(notice.title)}\n\n{text}", DINGTALK_MAX_BYTES)
    if secret:
        timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        url = str(httpx.URL(url).copy_merge_params(
            {"timestamp": str(timestamp_ms), "sign": dingtalk_sign(secret, timestamp_ms)}))
    return HttpDelivery(url=url, headers=_headers(notice), body=_json_body(
        {"msgtype": "markdown", "markdown": {"title": notice.title[:60], "text": text}}))


def http_request(kind: str, notice: Notice, url: str, secret: str | None = None) -> HttpDelivery:
    if kind == "wecom":
        return wecom_request(notice, url)
    if kind == "dingtalk":
        return dingtalk_request(notice, url, secret)
    if kind == "webhook":
        return webhook_request(notice, url, secret)
    raise ValueError(f"not an HTTP channel kind: {kind}")


def response_error(kind: str, status: int, body: bytes) -> str | None:
    """Why a response means the notice did not arrive, or None when it did: the status code
    and a short reason of our own, never the far end's text (it would carry whatever an
    internal service answers into the outbox and the coordinator's page).

    Any non-2xx fails; the robots answer 200 with ``{"errcode": non-zero}`` when they refuse
    (bad key, bad signature, rate limit), so for them the errcode decides."""
    if not 200 <= status < 300:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        return f"HTTP {status} {phrase}".strip()
    if kind in ("wecom", "dingtalk"):
        try:
            answer = json.loads(body)
        except ValueError:
            return f"HTTP {status}：应答不是 JSON"
        if not isinstance(answer, dict) or "errcode" not in answer:
            return f"HTTP {status}：应答缺少 errcode"
        if answer["errcode"] != 0:
            code = answer["errcode"]
            return f"HTTP {status}：机器人拒收，errcode {code if isinstance(code, int) else '?'}"
    return None


def email_recipients(target: str) -> list[str]:
    return [address.strip() for address in target.replace("；", ",").replace(";", ",").split(",")
            if address.strip()]


def email_message(notice: Notice, sender: str, recipients: list[str],
                  public_url: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = notice.title
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.split("@", 1)[1] if "@" in sender else None)
    message["X-Tracker-Dedupe-Key"] = notice.dedupe_key
    footer = f"\n\n——\n政务公开工作要点跟踪{'：' + public_url if public_url else ''}（系统自动发送，请勿回复）"
    message.set_content(notice.text + footer, charset="utf-8")
    return message
