"""Config parsing: values, defaults, ${ENV} substitution and one-line errors naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from campaign_contract.config.model import ConfigError, load_config, parse_config

from .conftest import config_document


def test_a_full_config_parses() -> None:
    config = parse_config(config_document(), environ={})
    assert config.auth.method == "basic"
    assert config.domains.bouncing == 1
    assert config.lists[0].segments[0].members == ("a@example.com",)
    assert config.limits.request_timeout == 2
    assert config.limits.callback_wait == 330
    assert config.payloads == ("email", "sms")


def test_error_list_is_optional() -> None:
    assert parse_config(config_document(), environ={}).error_list is None
    assert parse_config(config_document(error_list=9), environ={}).error_list == 9


def test_environment_variables_are_substituted() -> None:
    document = config_document(
        auth={"username": "${CC_USER}", "password": "${CC_PASS:-fallback}"},
        domains={"bouncing": "${CC_DOMAIN}"},
        base_url="http://${CC_HOST}",
    )
    config = parse_config(
        document, environ={"CC_USER": "bob", "CC_DOMAIN": "7", "CC_HOST": "h.example"}
    )
    assert config.auth.username == "bob"
    assert config.auth.password == "fallback"
    assert config.domains.bouncing == 7
    assert config.base_url == "http://h.example"


def test_a_double_dollar_is_a_literal_dollar() -> None:
    document = config_document(auth={"username": "u", "password": "pa$$word"})
    assert parse_config(document, environ={}).auth.password == "pa$word"


def _broken(key: str, value: Any) -> dict[str, Any]:
    document: dict[str, Any] = config_document()
    if "." in key:
        section, name = key.split(".", 1)
        document[section] = {**document[section], name: value}
    else:
        document[key] = value
    return document


@pytest.mark.parametrize(
    ("document", "key", "words"),
    [
        (_broken("domains.bouncing", "abc"), "domains.bouncing", "integer"),
        (_broken("domains.bouncing", None), "domains.bouncing", "required"),
        (_broken("auth.password", "${NOT_SET_ANYWHERE}"), "auth.password", "NOT_SET_ANYWHERE"),
        (_broken("auth.method", "oauth"), "auth.method", "basic, session or none"),
        (_broken("limits.request_timeout", "soon"), "limits.request_timeout", "number"),
        (_broken("callback", {}), "callback", "did you mean 'callbacks'"),
        (_broken("lists", []), "lists", "at least one"),
        (_broken("payloads", ["fax"]), "payloads[0]", "email or sms"),
        (_broken("error_list", 1), "error_list", "cannot be a test list"),
        (_broken("error_list", "x"), "error_list", "integer"),
        (_broken("base_url", "ftp://x"), "base_url", "http"),
        (
            _broken(
                "lists",
                [
                    {
                        "id": 1,
                        "contacts": [{"email": "a@x"}],
                        "segments": [{"id": 2, "members": ["b@x"]}],
                    }
                ],
            ),
            "lists[0].segments[0].members[0]",
            "no contact",
        ),
        (
            _broken("lists", [{"id": 1, "contacts": [{}]}]),
            "lists[0].contacts[0]",
            "email or a telephone",
        ),
    ],
)
def test_errors_are_one_line_naming_the_key(document: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(document, source="c.yaml", environ={})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"c.yaml: {key}: ")
    assert words in message
    assert caught.value.key == key


def test_yaml_syntax_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("auth:\n  method: [basic\n", "utf-8")
    with pytest.raises(ConfigError, match=r"c.yaml: \(file\): not valid YAML at line \d+"):
        load_config(path)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")


def test_auth_none_needs_no_credentials() -> None:
    config = parse_config(config_document(auth={"method": "none"}), environ={})
    assert config.auth.method == "none"


def test_a_config_without_auth_is_refused_naming_the_key() -> None:
    document = config_document()
    del document["auth"]
    with pytest.raises(ConfigError, match=r"auth: is required"):
        parse_config(document, environ={})


def test_connect_timeout_and_run_deadline_are_limits() -> None:
    document = config_document(limits={"connect_timeout": 2, "run_deadline": 600})
    limits = parse_config(document, environ={}).limits
    assert (limits.connect_timeout, limits.run_deadline) == (2.0, 600.0)
    with pytest.raises(ConfigError, match=r"limits.run_deadline: expected a number >= 1"):
        parse_config(config_document(limits={"run_deadline": 0}), environ={})
