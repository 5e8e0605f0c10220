"""The browser every browser test drives: Debian's Chromium through Playwright's executable_path
(Playwright's own browser download cannot reach the internet here)."""

from __future__ import annotations

import os
import shutil

import pytest


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(
            "Chromium not found. Fix: scripts/toolchain.sh browser (make test runs it), i.e. "
            "apt-get update && apt-get install -y chromium fonts-wqy-zenhei; or set CHROMIUM_PATH.",
            pytrace=False,
        )
    return path
