"""Headless Chromium for the web remote's test: Debian's chromium driven by its chromedriver.

    from tests.support.browser import chromium_available, headless_chromium, screenshot

    with headless_chromium(tmp_path) as driver:   # a phone-sized screen, a fresh profile
        driver.get(url)
        screenshot(driver, tmp_path / "remote.png")

Both programs come from the system (scripts/sysdeps.sh test installs them). The driver is given
by path, so Selenium Manager never runs and nothing is downloaded; the browser is kept off the
network for everything but the page (no updates, sync or background fetches).
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (420, 900)  # a phone, in CSS pixels
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required")


def chromium_available() -> bool:
    """True when Debian's chromium and chromium-driver are installed."""
    return CHROMIUM.is_file() and CHROMEDRIVER.is_file()


@contextlib.contextmanager
def headless_chromium(tmp_path: Path, window: tuple[int, int] = WINDOW) -> Iterator[WebDriver]:
    """A selenium WebDriver on a headless Chromium with a fresh profile under ``tmp_path``.

    Quits the driver, and so the browser, on leaving."""
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium: never look for a driver online
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tmp_path / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={window[0]},{window[1]}")
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        viewport(driver, *window)
        yield driver
    finally:
        driver.quit()


def viewport(driver: WebDriver, width: int, height: int) -> None:
    """Make the page see a ``width`` x ``height`` phone screen (CSS pixels, the viewport meta honoured).

    --window-size alone cannot: Chromium keeps a window at least 500 pixels wide."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})


def screenshot(driver: WebDriver, path: Path, full_page: bool = False) -> Path:
    """Save what the screen shows as a PNG at ``path`` (the whole page, however tall, with ``full_page``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not full_page:
        driver.save_screenshot(str(path))
        return path
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
