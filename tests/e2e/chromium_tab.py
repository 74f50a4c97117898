"""Headless Chromium as the browser tests start it, and a tab that records console errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # containers and CI runners usually forbid Chromium's sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 900}


@dataclass
class BrowserTab:
    page: Page
    console_errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions


def open_tab(context: BrowserContext) -> BrowserTab:
    """A new tab that records what the page complains about in the browser console."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    tab = BrowserTab(page)
    page.on("console", lambda message: message.type == "error" and tab.console_errors.append(message.text[:300]))
    page.on("pageerror", lambda error: tab.console_errors.append(f"uncaught: {str(error)[:300]}"))
    return tab
