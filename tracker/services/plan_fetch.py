"""Fetch a plan published on the web (`tracker plan import URL`) under the evidence checks'
address rules (tracker.evidence: public addresses only, every redirect re-checked, a connect
timeout, a total time limit and a size cap), then read it like a saved file: an HTML page as
an article (tracker.domain.plan_parsing.web), a linked .pdf/.docx/.ofd attachment as that file.
Every failure is a DocumentReadError with a one-line Chinese reason; nothing is stored here.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx

from tracker.domain.plan_parsing import DocumentReadError
from tracker.services.link_check import (
    CheckConfig,
    Refused,
    TooManyRedirects,
    Unreachable,
    fetch_vetted,
    new_client,
)

PLAN_PAGE_BYTES = 5 * 1024 * 1024
PLAN_PAGE_SECONDS = 20.0
MESSAGES = {
    "refused": "网址不予读取：{reason}",
    "unreachable": "网页无法访问：{reason}",
    "status": "网页无法访问（HTTP {status}）",
    "timeout": "网页在 {seconds:g} 秒内没有取回，未导入",
    "huge": "网页超过 {mb} MB，未导入",
    "not_html": "网址返回的不是网页或计划文件（{kind}），未导入",
    "bad_url": "网址无效：{url}",
}
# content type → the file name the document readers dispatch on
_KINDS = {"text/html": "page.html", "application/xhtml+xml": "page.html", "application/pdf": "plan.pdf",
          "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "plan.docx",
          "application/ofd": "plan.ofd", "text/plain": "plan.txt"}


def plan_fetch_config() -> CheckConfig:
    return replace(CheckConfig.from_settings(), max_bytes=PLAN_PAGE_BYTES, total_timeout=PLAN_PAGE_SECONDS)


def looks_like_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


async def fetch_plan_document(url: str, config: CheckConfig | None = None,
                              client: httpx.AsyncClient | None = None) -> tuple[bytes, str]:
    """(bytes, a file name naming its kind) of the document at `url`."""
    config = config or plan_fetch_config()
    try:
        async with asyncio.timeout(config.total_timeout):
            if client is not None:
                page = await fetch_vetted(client, url, config)
            else:
                async with new_client(config) as own:
                    page = await fetch_vetted(own, url, config)
    except Refused as error:
        raise DocumentReadError(MESSAGES["refused"].format(reason=error)) from None
    except (Unreachable, TooManyRedirects) as error:
        raise DocumentReadError(MESSAGES["unreachable"].format(reason=error)) from None
    except (TimeoutError, httpx.TimeoutException):
        raise DocumentReadError(MESSAGES["timeout"].format(seconds=config.total_timeout)) from None
    except httpx.InvalidURL:
        raise DocumentReadError(MESSAGES["bad_url"].format(url=url[:200])) from None
    except (httpx.HTTPError, OSError) as error:
        raise DocumentReadError(MESSAGES["unreachable"].format(reason=type(error).__name__)) from None
    if not 200 <= page.status < 300:
        raise DocumentReadError(MESSAGES["status"].format(status=page.status))
    if page.truncated:
        raise DocumentReadError(MESSAGES["huge"].format(mb=config.max_bytes // (1024 * 1024)))
    kind = page.content_type.split(";")[0].strip().lower()
    name = _KINDS.get(kind)
    if name is None and page.body.lstrip()[:1] == b"<":
        name = "page.html"
    if name is None:
        raise DocumentReadError(MESSAGES["not_html"].format(kind=kind or "未知类型"))
    return page.body, name
