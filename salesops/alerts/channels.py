"""Where alerts go: apprise URLs from the environment, turned into apprise plugin objects.

WeCom (企业微信) and DingTalk (钉钉) group bots and generic JSON webhooks are apprise's own
plugins (``wecombot://{key}``, ``dingtalk://{secret}@{token}``, ``json://host/path``); two
things apprise 2.2.0 does not do are added by subclassing its plugins, never by hand-written
HTTP elsewhere:

- WeCom: apprise's ``wecombot`` posts ``msgtype: text`` only; the bot's ``markdown`` message
  (bold titles, quotes) needs ``msgtype: markdown``, so :class:`WeComMarkdownBot` builds that
  payload and posts it as the parent does.
- Both bots post to fixed public hosts; ``?base=http://127.0.0.1:PORT`` points them at another
  host (a company proxy, or the tests' local server).

DingTalk's signed-timestamp option (``dingtalk://{secret}@{token}`` adds ``timestamp`` and
``sign`` = base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}"))) is apprise's, with its
signature quoted once instead of twice (:class:`DingTalkBot`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from json import dumps

import apprise
import requests
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.wecombot import NotifyWeComBot

URLS_VARIABLE = "SALESOPS_ALERT_URLS"
"""Destinations: apprise URLs separated by whitespace or commas (secrets included; set it in
the environment or an untracked ``.env``, never in the repository)."""

MIN_INTERVAL_VARIABLE = "SALESOPS_ALERT_MIN_INTERVAL_SECONDS"
DEFAULT_MIN_INTERVAL = 3.0
"""Seconds between two messages to one bot: WeCom and DingTalk group bots accept 20 a minute."""


class DestinationError(ValueError):
    """A URL in SALESOPS_ALERT_URLS that apprise cannot use (the message never shows it whole)."""


def _base_url(results: dict, default: str) -> str:
    base = (results.get("qsd") or {}).get("base")
    return default if not base else base.rstrip("/") + "/" + default.split("/", 3)[3]


class WeComMarkdownBot(NotifyWeComBot):
    """企业微信 group bot, ``msgtype: markdown`` (apprise's plugin sends only text)."""

    # apprise folds the title into the body when a plugin has no title (the text plugin's
    # case); markdown shows it as a bold first line
    title_maxlen = 250

    def __init__(self, key, base=None, **kwargs):
        if base:
            self.notify_url = base
        super().__init__(key=key, **kwargs)

    @staticmethod
    def parse_url(url):
        results = NotifyWeComBot.parse_url(url)
        if results:
            results["base"] = _base_url(results, NotifyWeComBot.notify_url)
        return results

    def send(self, body, title="", notify_type=apprise.NotifyType.INFO, **kwargs):
        content = f"**{title}**\n{body}" if title else body
        payload = {"msgtype": "markdown", "markdown": {"content": content}}
        headers = {"User-Agent": self.app_id, "Content-Type": "application/json; charset=utf-8"}
        self.throttle()
        try:
            response = requests.post(
                self.api_url,
                data=dumps(payload).encode("utf-8"),
                headers=headers,
                verify=self.verify_certificate,
                timeout=self.request_timeout,
                allow_redirects=self.redirects,
            )
        except requests.RequestException as exc:
            self.logger.warning(f"WeCom bot: connection error ({type(exc).__name__}).")
            return False
        if response.status_code != requests.codes.ok:
            self.logger.warning(f"WeCom bot: HTTP {response.status_code}.")
            return False
        # the bot answers 200 with {"errcode": …} when it refuses a message
        try:
            errcode = response.json().get("errcode", 0)
        except ValueError:
            errcode = 0
        if errcode:
            self.logger.warning(f"WeCom bot: errcode {errcode}.")
            return False
        return True


class DingTalkBot(NotifyDingTalk):
    """钉钉 group bot (apprise's plugin, signed when a secret is given), with ``?base=``."""

    def __init__(self, token, base=None, **kwargs):
        if base:
            self.notify_url = base
        super().__init__(token=token, **kwargs)

    def get_signature(self):
        # apprise 2.2.0 URL-quotes the base64 signature and then hands it to requests as a
        # query parameter, which quotes it again ("=" arrives as "%3D"), so DingTalk would
        # reject the sign; requests' own single quoting is the one DingTalk expects
        timestamp = str(round(time.time() * 1000))
        digest = hmac.new(
            self.secret.encode("utf-8"),
            f"{timestamp}\n{self.secret}".encode(),
            digestmod=hashlib.sha256,
        ).digest()
        return timestamp, base64.b64encode(digest).decode("ascii")

    @staticmethod
    def parse_url(url):
        results = NotifyDingTalk.parse_url(url)
        if results:
            results["base"] = _base_url(results, NotifyDingTalk.notify_url)
        return results


_OWN_PLUGINS = {"wecombot": WeComMarkdownBot, "dingtalk": DingTalkBot}


@dataclass(frozen=True)
class Destination:
    """One configured destination: ``key`` (a hash of the URL) names it in the ledger and
    ``label`` (scheme + the hash's start) in logs; the URL itself is never shown."""

    key: str
    label: str
    plugin: apprise.plugins.NotifyBase
    secrets: tuple[str, ...]


def _secrets_of(url: str) -> tuple[str, ...]:
    """The parts of a URL that may be secret: everything between the scheme and the query,
    each path and user part, each query value — masked wherever a log line shows one."""
    rest = url.split("://", 1)[-1]
    head, _, query = rest.partition("?")
    parts = {head}
    for chunk in head.replace("@", "/").replace(":", "/").split("/"):
        parts.add(chunk)
    for pair in query.split("&"):
        parts.add(pair.partition("=")[2])
    return tuple(sorted((p for p in parts if len(p) >= 6), key=len, reverse=True))


def destination(url: str, min_interval: float | None = None) -> Destination:
    scheme = url.split("://", 1)[0].lower()
    secrets = _secrets_of(url)
    with masked_logs(secrets):  # apprise names a malformed key in its warning
        try:
            if scheme in _OWN_PLUGINS:
                plugin_cls = _OWN_PLUGINS[scheme]
                results = plugin_cls.parse_url(url)
                plugin = plugin_cls(**results) if results else None
            else:
                plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        except Exception:
            plugin = None
    if plugin is None:
        raise DestinationError(
            f"{URLS_VARIABLE}: a {scheme}:// URL that apprise cannot use; check its form "
            "(wecombot://KEY, dingtalk://SECRET@TOKEN, json://HOST/PATH) 告警地址无效"
        )
    if min_interval is not None:
        plugin.request_rate_per_sec = min_interval
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return Destination(
        key=key,
        label=f"{scheme}:{key[:8]}",
        plugin=plugin,
        secrets=secrets,
    )


def destinations_from_env(environ=os.environ) -> list[Destination]:
    urls = (environ.get(URLS_VARIABLE) or "").replace(",", " ").split()
    interval = float(environ.get(MIN_INTERVAL_VARIABLE) or DEFAULT_MIN_INTERVAL)
    return [destination(url, interval) for url in urls]


SECRET_LOGGERS = ("apprise", "urllib3.connectionpool", "salesops.alerts")
"""Loggers whose lines may carry a webhook URL (apprise's debug lines, urllib3's request
lines): masked while alerts are pushed."""


class MaskSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]):
        super().__init__()
        self.secrets = sorted(set(secrets), key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = message
        for secret in self.secrets:
            masked = masked.replace(secret, "***")
        if masked != message:
            record.msg, record.args = masked, None
        return True


@contextmanager
def masked_logs(secrets: Iterable[str]):
    mask = MaskSecrets(secrets)
    loggers = [logging.getLogger(name) for name in SECRET_LOGGERS]
    for logger in loggers:
        logger.addFilter(mask)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(mask)
