"""The plugin's fixtures and markers, run in a pytester session as a user's tests would be."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


def test_fixtures_work(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import requests

        def test_create_send_and_receive(campaign_mock, callback_sink):
            campaign_mock.clock.freeze("2030-01-01T09:00:00Z")
            answer = requests.post(
                campaign_mock.url + "/campaign", auth=campaign_mock.auth,
                data={"name": "Sale", "domain": 1, "list": 1, "segments[]": 1,
                      "event_callback": callback_sink.url_for("sale")},
            ).json()
            assert answer["success"], answer
            ident = answer["data"]["id"]
            requests.put(f"{campaign_mock.url}/campaign/{ident}", auth=campaign_mock.auth,
                         data={"state": "SCHEDULED", "when": "2030-01-01T09:00:00Z"})
            requests.put(f"{campaign_mock.url}/campaign/{ident}", auth=campaign_mock.auth,
                         data={"state": "READY"})
            assert campaign_mock.campaign(ident)["state"] == "SENDING"
            campaign_mock.clock.advance(120)
            events = callback_sink.wait_for(2, event="submitted", campaign="sale")
            assert {e.address for e in events} == {"ana@example.com", "bruno@example.com"}
            campaign_mock.settle()
            assert campaign_mock.campaign(ident)["state"] == "DONE"
            assert len(callback_sink.events(event="delivered")) + len(
                callback_sink.events(event="bounced")) == 4
            assert [r.method for r in campaign_mock.requests] == ["POST", "PUT", "PUT"]
            assert campaign_mock.deliveries and campaign_mock.deliveries[0].url.endswith(
                "?campaign=sale")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_reset_isolates_tests(pytester: pytest.Pytester) -> None:
    """The second test sees none of what the first did: campaigns, ids (M-5 per lifetime),
    fixtures, settings, clock, auth and both journals are back as the session started."""
    pytester.makepyfile(
        """
        import requests

        def test_first_changes_everything(campaign_mock, callback_sink):
            campaign_mock.load_fixtures({
                "accounts": [{"username": "x", "password": "y"}],
                "domains": [{"id": 9, "name": "d.example"}],
                "lists": [{"id": 9, "name": "L", "contacts": [{"id": 1, "email": "a@b.c"}]}],
            })
            campaign_mock.configure(seed=99, rates={"email": {"bounce": 1.0}}, window=5)
            campaign_mock.clock.freeze("2040-01-01")
            ident = requests.post(campaign_mock.url + "/campaign", auth=("x", "y"),
                data={"name": "n", "domain": 9, "list": 9, "state": "SCHEDULED",
                      "when": "2040-01-01", "event_callback": callback_sink.url},
            ).json()["data"]["id"]
            requests.put(f"{campaign_mock.url}/campaign/{ident}", auth=("x", "y"),
                         data={"state": "READY"})
            campaign_mock.settle()
            assert campaign_mock.deliveries and campaign_mock.requests

        def test_second_starts_fresh(campaign_mock):
            import time
            assert campaign_mock.campaigns() == []
            assert campaign_mock.auth == ("demo", "demo-password")
            assert campaign_mock.requests == [] and campaign_mock.deliveries == []
            assert not campaign_mock.clock.frozen
            assert abs(campaign_mock.clock.now() - time.time()) < 5
            settings = campaign_mock.configure()
            assert (settings["seed"], settings["window"]) == (0, 60.0)
            assert settings["email"]["bounce"] == 0.05
            answer = requests.post(campaign_mock.url + "/campaign", auth=campaign_mock.auth,
                                   data={"name": "n", "domain": 1, "list": 1}).json()
            assert answer["data"]["id"] == 1
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly").assert_outcomes(passed=2)


def test_a_failing_assertion_prints_a_readable_diff(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import campaign_mock

        def test_wrong_expectation():
            sink = campaign_mock.CallbackSink()
            with campaign_mock.intercept("https://api.example", sink=sink,
                                         frozen_at="2030-01-01T09:00:00Z") as mock:
                mock.load_fixtures({
                    "accounts": [{"username": "u", "password": "p"}],
                    "domains": [{"id": 1, "name": "d.example"}],
                    "lists": [{"id": 1, "name": "L", "contacts": [
                        {"id": 1, "email": "bounce@simulator.campaign-mock.dev"},
                        {"id": 2, "email": "delivered@simulator.campaign-mock.dev"}]}],
                })
                import requests
                requests.post("https://api.example/campaign", auth=mock.auth, data={
                    "name": "n", "domain": 1, "list": 1, "state": "READY",
                    "when": "2030-01-01T09:00:00Z", "event_callback": sink.url})
                mock.settle()
            sink.assert_events({
                "submitted": ["bounce@simulator.campaign-mock.dev",
                              "delivered@simulator.campaign-mock.dev"],
                "delivered": ["bounce@simulator.campaign-mock.dev"],
            })
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: callbacks differ: 1 missing (-), 2 unexpected (+)",
            "E  *+ bounced    bounce@simulator.campaign-mock.dev",
            "E  *- delivered  bounce@simulator.campaign-mock.dev",
            "E  *+ delivered  delivered@simulator.campaign-mock.dev",
            "E  *  submitted  bounce@simulator.campaign-mock.dev",
        ]
    )
    assert "def assert_events" not in result.stdout.str()  # the test's line, not the sink's


def test_a_wait_that_times_out_lists_what_arrived(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_waits(campaign_mock, callback_sink):
            callback_sink.wait_for(1, event="clicked", timeout=0.2)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*expected 1 event(s) event='clicked' after 0.2 s, got 0", "*no callback arrived"]
    )


def test_marker_and_indirect_parameters_set_up_one_test(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        mine="""
        accounts: [{username: me, password: secret}]
        domains: [{id: 5, name: mail.example}]
        lists: [{id: 5, name: L, contacts: [{id: 1, email: a@example.com}]}]
        """,
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.campaign_mock(fixtures="mine.yaml", seed=7, rates={"sms": {"bounce": 1}},
                                   settings={"window": 30}, frozen_at="2030-01-01")
        def test_marker(campaign_mock):
            assert campaign_mock.auth == ("me", "secret")
            assert campaign_mock.clock.frozen and campaign_mock.clock.now() == 1893456000
            settings = campaign_mock.configure()
            assert (settings["seed"], settings["window"], settings["sms"]["bounce"]) == (7, 30, 1)

        @pytest.mark.campaign_mock(seed=1, auth=False)
        @pytest.mark.parametrize("campaign_mock", [{"seed": 2}, {"seed": 3}], indirect=True)
        def test_indirect(campaign_mock):
            assert campaign_mock.configure()["seed"] in {2, 3}
            import requests
            assert requests.get(campaign_mock.url + "/campaign/1").status_code == 404

        pytestmark = pytest.mark.campaign_mock(seed=11)

        def test_module_marker(campaign_mock):
            assert campaign_mock.configure()["seed"] == 11
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "--strict-markers").assert_outcomes(passed=4)


def test_marker_with_an_unknown_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.campaign_mock(sed=7)
        def test_typo(campaign_mock):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*campaign_mock: unknown option 'sed'*"])


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.campaign_mock(fixtures=None, seed=None*"])
