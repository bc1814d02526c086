"""Where a channel may send: WeCom and DingTalk robots only at their official hosts over
https; a generic webhook anywhere public, and to an intranet (private or loopback address)
only for hosts an administrator lists in TRACKER_WEBHOOK_ALLOWED_PRIVATE_HOSTS. Checked when a
channel is added and again before every delivery (DNS answers change); the address rule is
tracker.addresses, the one evidence checks follow."""

from __future__ import annotations

from urllib.parse import urlsplit

from tracker.addresses import AddressPolicy, Refused, Unreachable, vetted_address
from tracker.settings import Settings, get_settings

ROBOT_HOSTS = {"wecom": "qyapi.weixin.qq.com", "dingtalk": "oapi.dingtalk.com"}
ROBOT_LABELS = {"wecom": "企业微信机器人", "dingtalk": "钉钉机器人"}


def webhook_policy(settings: Settings | None = None) -> AddressPolicy:
    settings = settings or get_settings()
    return AddressPolicy(private_hosts=settings.webhook_private_hosts)


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


async def vet_target(kind: str, target: str, policy: AddressPolicy) -> str | None:
    """The checked address a webhook must be sent to (None for robots, which go by name to
    their official host). Raises Refused or Unreachable with a one-line reason."""
    if problem := target_problem(kind, target):
        raise Refused(problem)
    if kind in ROBOT_HOSTS:
        return None
    parts = urlsplit(target)
    return await vetted_address(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                policy)


__all__ = ["ROBOT_HOSTS", "Refused", "Unreachable", "target_problem", "vet_target", "webhook_policy"]
