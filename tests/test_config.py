from pathlib import Path
from typing import Any

import pytest

from rostra.config import ConfigError, RateLimit, Settings, load_settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(__import__("os").environ):
        if name.startswith("ROSTRA_") and name != "ROSTRA_TEST_PG_URL":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_live_in_the_data_dir(clean_env: Path) -> None:
    settings = load_settings()
    assert settings.data_dir == clean_env / "rostra-data"
    assert settings.database_url == f"sqlite:///{clean_env / 'rostra-data' / 'rostra.db'}"
    key_file = clean_env / "rostra-data" / "secret_key"
    assert settings.secret_key == key_file.read_text().strip()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    # The key is kept: a restart signs with the same key.
    assert load_settings().secret_key == settings.secret_key


def test_environment_and_toml(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = clean_env / "rostra.toml"
    toml.write_text('max_comment_length = 1200\npublic_url = "https://talk.example/"\n')
    monkeypatch.setenv("ROSTRA_CONFIG", str(toml))
    monkeypatch.setenv("ROSTRA_EDIT_WINDOW_SECONDS", "60")
    monkeypatch.setenv("ROSTRA_DATA_DIR", str(clean_env / "elsewhere"))
    settings = load_settings()
    assert settings.max_comment_length == 1200
    assert settings.public_url == "https://talk.example"
    assert settings.edit_window_seconds == 60
    assert settings.data_dir == clean_env / "elsewhere"


def test_environment_beats_toml(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = clean_env / "rostra.toml"
    toml.write_text("max_comment_length = 1200\n")
    monkeypatch.setenv("ROSTRA_CONFIG", str(toml))
    monkeypatch.setenv("ROSTRA_MAX_COMMENT_LENGTH", "300")
    assert load_settings().max_comment_length == 300


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("ROSTRA_MAX_COMMENT_LENGTH", "lots", "max_comment_length"),
        ("ROSTRA_PUBLIC_URL", "talk.example", "public_url"),
        ("ROSTRA_RATE_LOGIN", "ten a minute", "rate_login"),
        ("ROSTRA_RATE_LIKE", "60/0", "rate_like"),
        ("ROSTRA_HOUSEKEEPING_INTERVAL_SECONDS", "5", "housekeeping_interval_seconds"),
        ("ROSTRA_NO_SUCH_SETTING", "1", "ROSTRA_NO_SUCH_SETTING"),
    ],
)
def test_bad_settings_fail_fast_naming_the_setting(
    clean_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    value: str,
    says: str,
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=says):
        load_settings()


def test_missing_config_file_is_named(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROSTRA_CONFIG", str(clean_env / "nope.toml"))
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        load_settings()


RATE_SETTINGS = [
    n for n in Settings.model_fields if n.startswith("rate_") and n != "rate_limit_enabled"
]


@pytest.mark.parametrize("name", RATE_SETTINGS)
def test_every_rate_is_validated_and_parsed(name: str) -> None:
    values: dict[str, Any] = {name: "60"}
    with pytest.raises(ValueError, match=name):
        Settings(**values)
    values[name] = "7/30"
    settings = Settings(**values)
    assert settings.rate(name.removeprefix("rate_")) == RateLimit(count=7, seconds=30)
