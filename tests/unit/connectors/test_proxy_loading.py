"""`APPCONNECT_PROXY_CONFIGS`: files and directories, validated before anything is registered."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from appconnect.app import build_registry
from appconnect.config import ConfigurationError, Settings
from appconnect.connectors.base import ConnectorContext, FindsContacts
from appconnect.connectors.proxy import ProxyConfigError, proxy_config_files, register_proxy_configs
from appconnect.connectors.registry import ConnectorRegistry
from appconnect.crm_http import CrmHttp


def sample(name: str = "restcrm") -> dict[str, Any]:
    text = files("appconnect.connectors.proxy").joinpath("examples/restcrm.json").read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    raw["meta"]["name"] = name
    return raw


def write(path: Path, raw: Any) -> Path:
    path.write_text(json.dumps(raw) if not isinstance(raw, str) else raw, encoding="utf-8")
    return path


def context() -> ConnectorContext:
    return ConnectorContext(http=CrmHttp(version="test"), settings=None)


def test_a_directory_contributes_its_json_files_sorted_and_each_registers_its_platform(
    tmp_path: Path,
) -> None:
    write(tmp_path / "b.json", sample("bcrm"))
    write(tmp_path / "a.json", sample("acrm"))
    (tmp_path / "notes.txt").write_text("not a config", encoding="utf-8")
    extra = write(tmp_path.parent / f"{tmp_path.name}-c.json", sample("ccrm"))
    assert proxy_config_files([str(tmp_path), str(extra)]) == [
        tmp_path / "a.json",
        tmp_path / "b.json",
        extra,
    ]
    registry = ConnectorRegistry()
    assert register_proxy_configs(registry, context(), [str(tmp_path), str(extra)]) == [
        "acrm",
        "bcrm",
        "ccrm",
    ]
    assert isinstance(registry.get("acrm"), FindsContacts)
    assert registry.manifest("bcrm")["displayName"] == "REST CRM"


def test_one_bad_file_registers_nothing(tmp_path: Path) -> None:
    write(tmp_path / "a.json", sample("acrm"))
    write(tmp_path / "b.json", '{"meta": {"name": "bcrm"},')
    registry = ConnectorRegistry()
    with pytest.raises(ProxyConfigError) as refused:
        register_proxy_configs(registry, context(), [str(tmp_path)])
    assert (
        str(refused.value)
        == f"{tmp_path / 'b.json'}: $: not valid JSON: Expecting property name enclosed in "
        "double quotes at line 1 column 27"
    )
    assert registry.platforms() == []


def test_names_must_be_unique_and_free(tmp_path: Path) -> None:
    first = write(tmp_path / "a.json", sample("samecrm"))
    second = write(tmp_path / "b.json", sample("samecrm"))
    with pytest.raises(
        ProxyConfigError, match=rf"{second}: \$\.meta\.name: 'samecrm' is also the name in {first}"
    ):
        register_proxy_configs(ConnectorRegistry(), context(), [str(tmp_path)])
    registry = ConnectorRegistry()
    register_proxy_configs(registry, context(), [str(first)])
    with pytest.raises(ProxyConfigError, match="is already a registered connector"):
        register_proxy_configs(registry, context(), [str(first)])


def test_a_missing_entry_and_start_up_refusal_name_the_setting(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(ProxyConfigError, match=r"nowhere\.json: \$: no such file or directory"):
        proxy_config_files([str(tmp_path / "nowhere.json")])
    bad = sample()
    bad["requestDefaults"]["baseUrl"] = "not a url"
    path = write(tmp_path / "bad.json", bad)
    with pytest.raises(ConfigurationError) as refused:
        build_registry(settings.model_copy(update={"proxy_configs": (str(path),)}), CrmHttp(version="test"))
    assert str(refused.value).startswith(f"APPCONNECT_PROXY_CONFIGS: {path}: $.requestDefaults.baseUrl: ")
    assert "\n" not in str(refused.value)
    clash = write(tmp_path / "sample.json", sample("sample"))
    with pytest.raises(ConfigurationError, match="'sample' is already a registered connector"):
        build_registry(settings.model_copy(update={"proxy_configs": (str(clash),)}), CrmHttp(version="test"))
