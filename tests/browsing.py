"""Real Chromium for the browser tests, driven by Playwright against a live server.

Chromium is the system's (/usr/bin/chromium, which ``make test`` installs when missing):
Playwright never downloads a browser of its own here. Every page a test opens reports its
console errors, uncaught exceptions and Content-Security-Policy violations, and what
axe-core (vendored in static/vendor, injected by the tests only) finds wrong with the page
whenever a test audits it; a test ends by asserting there was nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots go to docs/screenshots only when asked (make screenshots), so that a test run
# leaves the working tree as it was.
SCREENSHOTS = os.environ.get("ONCELINK_SCREENSHOTS", "")
# Served from the app's own origin, so that the page's strict CSP lets it run.
AXE = "/static/vendor/axe.min.js"
# Every rule axe-core runs by default: WCAG 2.x A and AA, and its best practices.
RUN_AXE = """() => axe.run(document, {resultTypes: ["violations"]}).then(results =>
    results.violations.map(violation =>
    `${violation.id} (${violation.impact}): ${violation.help}: ` +
    violation.nodes.map(node => node.target.join(" ")).join(", ")))"""
# Reported by the page itself, before any script of ours runs: CSP violations as events.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


@dataclass
class Problems:
    """Everything that went wrong in the pages of one test."""

    seen: list[str] = field(default_factory=list)
    # Error statuses a test provokes on purpose; Chromium logs each as a console error.
    provoked: set[int] = field(default_factory=set)

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.seen.append(f"page error: {error}"))
        return page

    async def audit(self, page: Page) -> None:
        """Run axe-core on the page as it stands, in light and in dark colours; each
        violation it finds is a problem."""
        if not await page.evaluate("typeof axe !== 'undefined'"):
            await page.add_script_tag(url=AXE)
        for scheme in ("dark", "light"):  # the page is left in light colours, as it came
            # Reduced motion: colours change at once, not in a transition axe would catch
            # halfway (and mistake for too little contrast).
            await page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
            violations: list[str] = await page.evaluate(RUN_AXE)
            self.seen += [f"axe ({scheme}) on {page.url}: {found}" for found in violations]
        await page.emulate_media(reduced_motion="no-preference")

    def expect_status(self, status: int) -> None:
        """The test provokes this error status: its console line is not a fault."""
        self.provoked.add(status)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning") and not self._expected(message):
            self.seen.append(f"console {message.type}: {message.text} ({message.location})")

    def _expected(self, message: ConsoleMessage) -> bool:
        """Chromium logs a page's own error status as a console error; for a dead link's
        page (a share's or a request's) that status (404 or 410) is the point, not a fault,
        as are provoked ones."""
        if not message.text.startswith("Failed to load resource"):
            return False
        provoked = any(f"status of {status} " in message.text for status in self.provoked)
        url = message.location.get("url", "")
        return provoked or "/connect/" in url or "/send/" in url


async def new_context(
    browser: Browser, *, javascript: bool = True, **options: Any
) -> BrowserContext:
    context = await browser.new_context(
        java_script_enabled=javascript,
        timezone_id=options.pop("timezone_id", "Europe/Berlin"),
        locale=options.pop("locale", "en-GB"),
        **options,
    )
    await context.add_init_script(REPORT_CSP_VIOLATIONS)
    return context


async def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    if SCREENSHOTS:
        path = Path(SCREENSHOTS) / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(path), full_page=full_page, animations="disabled")


async def clipboard(page: Page) -> str:
    text: str = await page.evaluate("navigator.clipboard.readText()")
    return text
