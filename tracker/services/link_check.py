"""Checking a cited disclosure page (佐证链接): reachable, not an error page, and (optionally)
carrying the expected title.

The URL comes from a user, so the check is bounded like any fetch of untrusted input:

- only http and https; no user name or password in the address;
- the host is resolved first and every address must be public: private, loopback,
  link-local, reserved, multicast and other non-global addresses are refused (loopback only
  with TRACKER_EVIDENCE_ALLOW_LOOPBACK=1, for tests). The request then goes to the address
  that was checked (Host header and TLS SNI keep the name), so a second DNS answer cannot
  swap in an internal one;
- redirects are followed by hand, at most five, each target checked the same way;
- a connect timeout and a total time limit, and at most ``max_bytes`` of the body are read
  (streamed, after decompression), so a huge or endless page costs nothing more.

States: ok; dead (no connection, HTTP 4xx/5xx, or what looks like an error page: a tiny body
or a <title> saying 404 / 页面不存在 / 错误); no_title (the expected title is in neither the
<title> nor the text); refused (bad scheme, or a non-public address).
"""

from __future__ import annotations

import asyncio
import html
import ipaddress
import re
import socket
from dataclasses import dataclass

import httpx

from tracker.settings import Settings, get_settings

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
ERROR_TITLE = re.compile(
    r"(?<![0-9])404(?![0-9])|not\s*found|页面不存在|页面未找到|找不到|无法找到|出错了|错误页|"
    r"页面错误|访问错误|访问出错|^\s*(?:错误|出错|error)\s*$",
    re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.IGNORECASE)
_SCRIPTS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CheckConfig:
    allow_loopback: bool = False
    connect_timeout: float = 5.0
    total_timeout: float = 15.0
    max_bytes: int = 1024 * 1024
    max_redirects: int = 5
    min_body_bytes: int = 200  # a page smaller than this is taken for an error page

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> CheckConfig:
        settings = settings or get_settings()
        return cls(allow_loopback=settings.evidence_allow_loopback)


@dataclass(frozen=True)
class CheckResult:
    state: str  # ok | dead | no_title | refused
    http_status: int | None
    detail: str
    final_url: str
    title: str | None = None


class Refused(Exception):
    pass


class Unreachable(Exception):
    pass


def address_allowed(address: str, allow_loopback: bool = False) -> bool:
    """Only globally routable unicast addresses (loopback too when allowed, for tests)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            ip = embedded
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not ip.is_multicast


async def _addresses(host: str, port: int) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Unreachable(f"域名无法解析：{host}（{error}）") from None
    return list(dict.fromkeys(info[4][0] for info in infos))


async def _vet(url: httpx.URL, config: CheckConfig) -> str:
    """The address to connect to, after checking the scheme and every address of the host."""
    if url.scheme not in ("http", "https"):
        raise Refused(f"只检查 http(s) 地址，不检查“{url.scheme}:”")
    if not url.host:
        raise Refused("地址缺少主机名")
    if url.userinfo:
        raise Refused("地址中不能含用户名或密码")
    host = url.raw_host.decode("ascii")
    addresses = await _addresses(host, url.port or (443 if url.scheme == "https" else 80))
    for address in addresses:
        if not address_allowed(address, config.allow_loopback):
            raise Refused(f"{url.host} 指向内网、本机或保留地址（{address}），不予检查")
    if not addresses:
        raise Unreachable(f"域名无法解析：{url.host}")
    return addresses[0]


def _charset(content_type: str, head: bytes) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_-]+)", content_type, re.IGNORECASE)
    if match:
        return match.group(1)
    match = _META_CHARSET.search(head[:4096])
    return match.group(1).decode("ascii") if match else None


def decode(body: bytes, content_type: str = "") -> str:
    """Chinese government pages are often GBK/GB2312: read them as GB18030, their superset."""
    charset = (_charset(content_type, body) or "").lower()
    if charset in ("gb2312", "gbk", "gb18030", "x-gbk"):
        charset = "gb18030"
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("gb18030", errors="replace")


def _squash(text: str) -> str:
    return _SPACE.sub("", text).casefold()


def page_title(text: str) -> str | None:
    match = _TITLE.search(text)
    if not match:
        return None
    return _SPACE.sub(" ", html.unescape(match.group(1))).strip()


def visible_text(text: str) -> str:
    return html.unescape(_TAGS.sub(" ", _SCRIPTS.sub(" ", text)))


def judge(status: int, body: bytes, content_type: str, expected_title: str | None,
          truncated: bool, final_url: str, config: CheckConfig) -> CheckResult:
    """The state of a fetched page (pure)."""
    capped = f"；页面超过 {config.max_bytes // 1024} KB，只读取了前 {config.max_bytes // 1024} KB" if truncated else ""

    def result(state: str, detail: str, title: str | None = None) -> CheckResult:
        return CheckResult(state, status, detail + capped, final_url, title)

    if status >= 400 or not 200 <= status < 300:
        return result("dead", f"HTTP {status}")
    if len(body.strip()) < config.min_body_bytes:
        return result("dead", f"页面内容过少（{len(body.strip())} 字节），像是错误页")
    is_html = "html" in content_type.lower() or body.lstrip()[:1] == b"<"
    if not is_html:
        if expected_title:
            return result("no_title", f"不是网页（{content_type or '未知类型'}），无法核对标题")
        return result("ok", f"可以访问（{content_type or '未知类型'}）")
    text = decode(body, content_type)
    title = page_title(text)
    if title and ERROR_TITLE.search(title):
        return result("dead", f"页面标题像是错误页：{title[:100]}", title)
    if expected_title:
        wanted = _squash(expected_title)
        if wanted and (wanted in _squash(title or "") or wanted in _squash(visible_text(text))):
            return result("ok", f"可以访问，找到预期标题：{title or expected_title}"[:300], title)
        return result("no_title", f"未找到预期标题“{expected_title[:60]}”；页面标题：{title or '（无）'}"[:300],
                      title)
    return result("ok", f"可以访问，标题：{title or '（无）'}"[:300], title)


async def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            return bytes(body[:limit]), True
    return bytes(body), False


@dataclass(frozen=True)
class FetchedPage:
    status: int
    body: bytes
    content_type: str
    truncated: bool
    final_url: str


class TooManyRedirects(Exception):
    pass


async def fetch_vetted(client: httpx.AsyncClient, url: str, config: CheckConfig) -> FetchedPage:
    """GET `url` under the rules above (checked addresses, redirects followed by hand and each
    checked, at most max_bytes read). Raises Refused, Unreachable, TooManyRedirects, httpx errors."""
    current = httpx.URL(url)
    for _hop in range(config.max_redirects + 1):
        address = await _vet(current, config)
        pinned = current.copy_with(host=address)
        headers = {"Host": current.netloc.decode("ascii"), "User-Agent": "disclosure-tracker",
                   "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
        async with client.stream("GET", pinned, headers=headers,
                                 extensions={"sni_hostname": current.raw_host.decode("ascii")}
                                 ) as response:
            location = response.headers.get("location")
            if response.status_code in REDIRECT_STATUSES and location:
                current = current.join(location.strip())
                continue
            body, truncated = await _read_capped(response, config.max_bytes)
            return FetchedPage(response.status_code, body, response.headers.get("content-type", ""),
                               truncated, str(current))
    raise TooManyRedirects(f"重定向超过 {config.max_redirects} 次")


async def _fetch(client: httpx.AsyncClient, url: str, expected_title: str | None,
                 config: CheckConfig) -> CheckResult:
    try:
        page = await fetch_vetted(client, url, config)
    except TooManyRedirects as error:
        return CheckResult("dead", None, str(error), url)
    return judge(page.status, page.body, page.content_type, expected_title, page.truncated,
                 page.final_url, config)


async def check_url(url: str, expected_title: str | None = None, config: CheckConfig | None = None,
                    client: httpx.AsyncClient | None = None) -> CheckResult:
    """Check one URL; never raises for anything the far end does."""
    config = config or CheckConfig.from_settings()
    try:
        async with asyncio.timeout(config.total_timeout):
            if client is not None:
                return await _fetch(client, url, expected_title, config)
            async with new_client(config) as own:
                return await _fetch(own, url, expected_title, config)
    except Refused as error:
        return CheckResult("refused", None, str(error), url)
    except Unreachable as error:
        return CheckResult("dead", None, str(error), url)
    except (TimeoutError, httpx.TimeoutException):
        return CheckResult("dead", None, f"超时：{config.total_timeout:g} 秒内未取得页面", url)
    except httpx.InvalidURL as error:
        return CheckResult("refused", None, f"地址无效：{error}", url)
    except (httpx.HTTPError, OSError) as error:
        return CheckResult("dead", None, f"无法连接：{type(error).__name__} {error}".strip()[:300], url)


def new_client(config: CheckConfig) -> httpx.AsyncClient:
    # trust_env=False: a proxy from the environment would resolve names itself and undo the
    # address checks above.
    return httpx.AsyncClient(timeout=httpx.Timeout(config.total_timeout, connect=config.connect_timeout),
                             follow_redirects=False, trust_env=False)
