"""The config file, and the CLI's init / org / help paths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from node.cli.main import build_parser, main
from node.config import SETTINGS, ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented_in_the_operator_guide() -> None:
    guide = (ROOT / "docs" / "operator.md").read_text(encoding="utf-8")
    for section, key, _, _ in SETTINGS:
        assert re.search(rf"`{key}`", guide), f"[{section}] {key} is not in docs/operator.md"


def test_config_errors_name_the_setting(tmp_path: Path) -> None:
    good = {"node": {"name": "N", "base_url": "https://sport.example.nl/", "data_dir": "data"}}
    config = parse_config(good, tmp_path)
    assert (config.base_url, config.data_dir, config.port) == ("https://sport.example.nl", tmp_path / "data", 8080)
    with pytest.raises(ConfigError, match=r"\[node\] base_url is required"):
        parse_config({"node": {"name": "N", "data_dir": "d"}}, tmp_path)
    with pytest.raises(ConfigError, match=r"\[server\] port must be a int"):
        parse_config({**good, "server": {"port": True}}, tmp_path)
    with pytest.raises(ConfigError, match="https unless development"):
        parse_config({"node": {**good["node"], "base_url": "http://sport.example.nl"}}, tmp_path)
    with pytest.raises(ConfigError, match="not valid TOML"):
        (tmp_path / "bad.toml").write_text("[node\n")
        load_config(tmp_path / "bad.toml")


def test_init_then_org_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "node" / "sportnode.toml"
    assert main(["init", "--config", str(config), "--base-url", "http://127.0.0.1:8099", "--name", "Test",
                 "--development"]) == 0
    assert "Admin token" in capsys.readouterr().out
    assert load_config(config).db_path.exists()
    assert main(["init", "--config", str(config), "--base-url", "http://x", "--name", "T", "--development"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["org", "create", "--config", str(config), "Zwemvereniging De Golf", "--club",
                 "--municipality", "GM0307"]) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8099/organisations/zwemvereniging-de-golf" in out and "/claim/" in out
    assert main(["org", "list", "--config", str(config)]) == 0
    assert "zwemvereniging-de-golf\tZwemvereniging De Golf" in capsys.readouterr().out
    assert main(["org", "create", "--config", str(config), "X", "--municipality", "GM9999"]) == 2
    assert "/municipalityCode" in capsys.readouterr().err
    assert main(["org", "invite", "--config", str(config), "nobody"]) == 2
    assert "no organisation 'nobody'" in capsys.readouterr().err


def test_missing_config_is_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--config", str(tmp_path / "none.toml")]) == 2
    assert "sportnode init" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["init"], ["serve"], ["org"], ["org", "create"], ["import"], ["demo"]])
def test_help_everywhere(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args([*command, "--help"])
    assert stop.value.code == 0
    assert "usage: sportnode" in capsys.readouterr().out
