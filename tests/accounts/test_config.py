"""Settings: a malformed value stops the start, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("name", "value"), [
    ("REVIEW_DAYS", "soixante"), ("UPLOAD_MAX_MB", "-3"), ("DATABASE_URL", "mysql://x"),
    ("CATALOGUE_ENV", "staging"), ("REDIS_URL", "http://cache"), ("MAIL_URL", "mail.example.org"),
])
def test_malformed_setting_is_named(name, value):
    with pytest.raises(ConfigError) as excinfo:
        load_config({"CATALOGUE_ENV": "test", name: value})
    assert name in str(excinfo.value)


def test_secret_key_is_required_in_production():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"CATALOGUE_ENV": "production"})


def test_malformed_setting_stops_the_real_start():
    env = {**os.environ, "CATALOGUE_ENV": "test", "QUORUM": "beaucoup", "FLASK_APP": "wsgi.py"}
    env.pop("TEST_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "flask", "routes"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "QUORUM" in result.stderr


def test_proxy_hops_setting():
    assert load_config({"CATALOGUE_ENV": "test"})["PROXY_HOPS"] == 0
    assert load_config({"CATALOGUE_ENV": "test", "PROXY_HOPS": "1"})["PROXY_HOPS"] == 1
    with pytest.raises(ConfigError, match="PROXY_HOPS"):
        load_config({"CATALOGUE_ENV": "test", "PROXY_HOPS": "-1"})
