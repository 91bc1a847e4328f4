"""Config parsing: values, defaults, ${ENV} substitution and one-line errors naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

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
    with pytest.raises(ConfigError, match=r"limits.run_deadline: expected a finite number >= 1"):
        parse_config(config_document(limits={"run_deadline": 0}), environ={})


@pytest.mark.parametrize("key", ["callback_wait", "clock_skew", "clock_speed", "clock_lag"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), "nan", "-inf", "1e999"])
def test_a_limit_that_is_not_finite_is_refused_naming_it(key: str, value: object) -> None:
    """YAML's `.nan` and `.inf` are numbers: a NaN allowance would fail nothing (every
    comparison with it is false), an infinite wait would never end."""
    with pytest.raises(ConfigError, match=rf"limits.{key}: expected a finite number"):
        parse_config(config_document(limits={key: value}), environ={})


def large_list(contacts: object) -> dict[str, Any]:
    return config_document(lists=[{"id": 9, "contacts": contacts}])


def test_a_large_list_is_a_pattern_and_a_count() -> None:
    config = parse_config(
        large_list({"pattern": "user{n}@example.com", "telephone": "+3519{n:08d}", "count": 1500}),
        environ={},
    )
    contacts = config.lists[0].contacts
    assert len(contacts) == 1500 and len({c.email for c in contacts}) == 1500
    assert (contacts[0].email, contacts[0].telephone) == ("user1@example.com", "+351900000001")
    assert contacts[-1].email == "user1500@example.com"
    # Beside named contacts too, with telephones optional and its own start.
    mixed = parse_config(
        large_list([{"email": "a@example.com"}, {"pattern": "u{n}@x.example", "count": 3,
                                                 "start": 0}]),
        environ={},
    )  # fmt: skip
    assert [(c.email, c.telephone) for c in mixed.lists[0].contacts] == [
        ("a@example.com", None), ("u0@x.example", None), ("u1@x.example", None),
        ("u2@x.example", None),
    ]  # fmt: skip


def test_a_large_list_can_be_a_csv_file_beside_the_config(tmp_path: Path) -> None:
    rows = "\n".join(f"c{n}@example.com,+35191{n:07d}" for n in range(1200))
    (tmp_path / "big.csv").write_text(f"Email,telephone\n{rows}\n", encoding="utf-8")
    (tmp_path / "cc.yaml").write_text(
        yaml.safe_dump(large_list({"csv": "big.csv"})), encoding="utf-8"
    )
    contacts = load_config(tmp_path / "cc.yaml", environ={}).lists[0].contacts
    assert len(contacts) == 1200
    assert (contacts[5].email, contacts[5].telephone) == ("c5@example.com", "+351910000005")


@pytest.mark.parametrize(
    ("contacts", "words"),
    [
        ({"pattern": "user@example.com", "count": 2}, "must use {n}"),
        ({"pattern": "user{m}@example.com", "count": 2}, "not a pattern of {n}"),
        ({"pattern": "u{n:>100000000}@x.example", "count": 2}, "wider than 32"),
        ({"pattern": "user{n@example.com", "count": 2}, "not a pattern"),
        ({"count": 5}, "needs `pattern`"),
        ({"pattern": "u{n}@x.example", "count": 100_001}, "at most 100000"),
        ({"pattern": "u{n}@x.example", "count": 5, "size": 1}, "unknown key"),
        ({"csv": "nowhere.csv"}, "cannot read"),
    ],
)
def test_a_bad_large_list_is_refused_naming_the_key(contacts: object, words: str) -> None:
    with pytest.raises(ConfigError, match="lists\\[0\\]\\.contacts") as raised:
        parse_config(large_list(contacts), environ={}, base_dir=Path("/nonexistent"))
    assert words in str(raised.value)


def test_a_csv_without_address_columns_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("name\nAna\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="no `email` or `telephone` column"):
        parse_config(large_list({"csv": "bad.csv"}), environ={}, base_dir=tmp_path)


def test_silent_requests_is_a_limit_and_callback_sources_a_list() -> None:
    """Issue 18: the watchdog's count (0 turns it off) and where callbacks may come from."""
    assert parse_config(config_document(), environ={}).limits.silent_requests == 3
    document = config_document(limits={"silent_requests": 0})
    assert parse_config(document, environ={}).limits.silent_requests == 0
    with pytest.raises(ConfigError, match=r"limits.silent_requests: expected an integer >= 0"):
        parse_config(config_document(limits={"silent_requests": -1}), environ={})
    sources = ["10.0.0.0/8", "127.0.0.2", "egress.example"]
    document = config_document(callbacks={"sources": sources})
    assert parse_config(document, environ={}).callbacks.sources == tuple(sources)
    assert parse_config(config_document(), environ={}).callbacks.sources == ()
    for bad, words in ((["10.0.0.0/33"], "not a CIDR"), ([""], "expected a CIDR"), ("x", "list")):
        with pytest.raises(ConfigError, match=r"callbacks.sources") as caught:
            parse_config(config_document(callbacks={"sources": bad}), environ={})
        assert words in str(caught.value)


def test_the_init_template_documents_both_keys(tmp_path: Path) -> None:
    from campaign_contract.config.scaffold import TEMPLATE

    assert "silent_requests: 3" in TEMPLATE and "# sources: [" in TEMPLATE
    path = tmp_path / "c.yaml"
    path.write_text(TEMPLATE.replace("  # sources: [", "  sources: ["), "utf-8")
    config = load_config(path, environ={"CAMPAIGN_USERNAME": "u", "CAMPAIGN_PASSWORD": "p"})
    assert config.limits.silent_requests == 3
    assert config.callbacks.sources == ("10.20.0.0/16", "egress.example")
