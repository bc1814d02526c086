"""Where a channel may send, on the face of its URL: WeCom and DingTalk robots only at their
official hosts over https; a generic webhook to any http(s) host without credentials in the
address. Where that host may resolve to (public, or an intranet only for hosts an administrator
lists) is the address rule, tracker.domain.addresses, the one evidence checks follow; the
services check both when a channel is added (services.channels) and again before every
delivery (services.delivery), since DNS answers change."""

from __future__ import annotations

from urllib.parse import urlsplit

ROBOT_HOSTS = {"wecom": "qyapi.weixin.qq.com", "dingtalk": "oapi.dingtalk.com"}
ROBOT_LABELS = {"wecom": "企业微信机器人", "dingtalk": "钉钉机器人"}


def target_problem(kind: str, target: str) -> str | None:
    """Why a robot or webhook URL is refused on its face (before any DNS), or None."""
    try:
        parts = urlsplit(target)
        port = parts.port
    except ValueError:
        return "地址无效"
    if kind in ROBOT_HOSTS:
        host = ROBOT_HOSTS[kind]
        if parts.scheme != "https" or (parts.hostname or "").lower() != host or parts.username \
                or parts.password is not None or port not in (None, 443):
            return f"{ROBOT_LABELS[kind]}地址须为官方地址 https://{host}/…"
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Webhook 地址须为 http(s) 地址"
    if parts.username or parts.password is not None:
        return "Webhook 地址中不能含用户名或密码"
    return None


def webhook_host_port(target: str) -> tuple[str, int]:
    """The host and port a webhook URL that passed target_problem connects to."""
    parts = urlsplit(target)
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
