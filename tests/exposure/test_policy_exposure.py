"""GET /v1/policies/{id}/exposure (the reverse view), several chains to one part, and the HTTP conventions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from app.records.routes import NamedRoute
from tests.exposure.conftest import FILES, MakeClient
from tests.helpers import problem, revalidates

D = "2020-07-01"


def policy_exposure(client: TestClient, policy: str, as_of: str = D) -> dict[str, Any]:
    """The body of a policy's exposure on a day."""
    response = client.get(f"/v1/policies/{policy}/exposure?as_of={as_of}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def exposed(body: dict[str, Any]) -> dict[str, list[tuple[str, str | None]]]:
    """Actor -> (match, part) of each of its exposures."""
    return {
        group["actor"]["id"]: [(e["match"], e["hardware"]["id"] if e["hardware"] else None) for e in group["exposures"]]
        for group in body["exposed"]
    }


def test_a_policy_exposes_the_actor_its_parents_through_it_and_its_direct_targets(exposure_client: TestClient) -> None:
    """p-tool targets `land`: Acme and its parent Holding depend on tool-y; `land` itself is targeted directly."""
    body = policy_exposure(exposure_client, "p-tool")
    assert (body["in_force"], body["reason"]) == (True, None)
    assert exposed(body) == {
        "acme": [("restricts_chain", "tool-y")],
        "holding": [("restricts_chain", "tool-y")],
        "land": [("targets_directly", None)],
    }
    assert body["restricts"] == [{"id": "tool-y", "type": "hardware", "name": "Tool Y"}]
    assert body["targets"] == [{"id": "land", "type": "actor", "name": "Land"}]
    holding = next(g for g in body["exposed"] if g["actor"]["id"] == "holding")["exposures"][0]
    (path,) = holding["paths"]
    assert [a["id"] for a in path["subsidiary_path"]] == ["holding", "acme"]
    assert len(path["hops"]) == 3


def test_the_reverse_view_gives_the_same_paths_as_the_actor_view(exposure_client: TestClient) -> None:
    actor = exposure_client.get(f"/v1/actors/acme/exposure?as_of={D}").json()
    from_actor = next(e for e in actor["exposures"] if e["policy"]["id"] == "p-tool")
    from_policy = next(g for g in policy_exposure(exposure_client, "p-tool")["exposed"] if g["actor"]["id"] == "acme")
    assert from_policy["exposures"] == [from_actor]


def test_a_policy_targeting_a_parent_exposes_its_subsidiaries(exposure_client: TestClient) -> None:
    assert exposed(policy_exposure(exposure_client, "p-parent")) == {
        "acme": [("targets_directly", None)],
        "acme-lab": [("targets_directly", None)],
        "holding": [("targets_directly", None)],
    }


def test_a_policy_not_in_force_exposes_no_one_and_says_why(exposure_client: TestClient) -> None:
    before = policy_exposure(exposure_client, "p-future", "2020-12-31")
    assert (before["in_force"], before["reason"], before["exposed"]) == (
        False,
        "it takes effect on 2021-01-01, after 2020-12-31",
        [],
    )
    assert exposed(policy_exposure(exposure_client, "p-future", "2021-01-01")) == {
        "acme": [("restricts_chain", "chip-a")],
        "acme-lab": [("targets_directly", None)],  # p-future targets its parent
    }
    assert policy_exposure(exposure_client, "p-rescinded")["reason"] == "its status is rescinded"
    assert policy_exposure(exposure_client, "p-undated")["in_force"] is False


def test_a_policy_whose_parts_no_one_depends_on_that_day_exposes_only_its_direct_targets(
    exposure_client: TestClient,
) -> None:
    assert exposed(policy_exposure(exposure_client, "p-old", "2018-06-01"))["acme"] == [("restricts_chain", "old-chip")]
    assert exposed(policy_exposure(exposure_client, "p-old")) == {"land": [("targets_directly", None)]}


def test_several_chains_to_one_part_surest_first(make_client: MakeClient) -> None:
    """A rumour and a confirmation of the same dependency stay side by side; the exposure is as sure as the best."""
    files = dict(FILES)
    files["dependencies.yaml"] += (
        "- {id: acme-chip-a-rumour, name: Acme on Chip A (rumour), dependent: 'actor:acme', depends_on: chip-a,"
        " purpose: inference, status: rumoured, sources: [src-b]}\n"
    )
    client = make_client(files)
    chip = next(
        e
        for e in client.get(f"/v1/actors/acme/exposure?as_of={D}").json()["exposures"]
        if e["policy"]["id"] == "p-chip"
    )
    assert [(p["weakest_status"], p["hops"][0]["dependency"]["id"]) for p in chip["paths"]] == [
        ("confirmed", "acme-chip-a"),
        ("rumoured", "acme-chip-a-rumour"),
    ]
    assert chip["weakest_status"] == "confirmed"
    assert chip["paths_truncated"] is False
    tool = next(
        e
        for e in client.get(f"/v1/actors/acme/exposure?as_of={D}").json()["exposures"]
        if e["policy"]["id"] == "p-tool"
    )
    assert [p["weakest_status"] for p in tool["paths"]] == ["reported", "rumoured"]


def test_as_of_defaults_to_today(exposure_client: TestClient) -> None:
    body = exposure_client.get("/v1/actors/acme/exposure").json()
    assert body["as_of"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert exposure_client.get("/v1/policies/p-tool/exposure").json()["as_of"] == body["as_of"]


def test_unknown_records_are_404_and_bad_parameters_400(exposure_client: TestClient) -> None:
    for url, status, detail in [
        ("/v1/actors/acmee/exposure", 404, "no actor with id 'acmee'"),
        ("/v1/actors/ACME!/exposure", 404, "no actor 'ACME!'"),
        ("/v1/policies/p-nope/exposure", 404, "no policy with id 'p-nope'"),
        ("/v1/actors/acme/exposure?asof=2020", 400, "asof: unknown parameter 'asof' — did you mean 'as_of'?"),
        ("/v1/actors/acme/exposure?as_of=2020-02-30", 400, "as_of: '2020-02-30' is not a calendar date"),
        ("/v1/policies/p-tool/exposure?as_of=soon", 400, "as_of: 'soon' is not a date"),
        ("/v1/actors/acme/exposure?as_of=2020%00", 400, "as_of: value contains a NUL character"),
    ]:
        assert detail in problem(exposure_client.get(url), status)["detail"], url


def test_the_plain_routes_answer_as_the_documented_ones(exposure_client: TestClient) -> None:
    """Both views are plain routes matched first (`hot_routes`), the documented routes behind them: an id the
    documented route refuses (over 320 characters: a 400) is still refused by it; a long one it takes is a 404."""
    app = exposure_client.app
    for path in ("/v1/actors/{actor_id}/exposure", "/v1/policies/{policy_id}/exposure"):
        first = next(route for route in app.router.routes if getattr(route, "path", None) == path)  # type: ignore[attr-defined]
        assert isinstance(first, NamedRoute)
        assert path in app.openapi()["paths"]  # type: ignore[attr-defined]
    for view in ("actors", "policies"):
        assert exposure_client.get(f"/v1/{view}/{'a' * 321}/exposure").status_code == 400
        assert problem(exposure_client.get(f"/v1/{view}/{'a' * 320}/exposure"), 404)
    answered = exposure_client.get(f"/v1/actors/acme/exposure?as_of={D}")
    assert answered.status_code == 200
    assert exposure_client.get(f"/v1/actors/acme/exposure?as_of={D}").content == answered.content


def test_etag_and_304_and_a_different_etag_per_day(exposure_client: TestClient) -> None:
    first = revalidates(exposure_client, f"/v1/actors/acme/exposure?as_of={D}")
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public")
    other = exposure_client.get("/v1/actors/acme/exposure?as_of=2021-01-01")
    assert other.headers["etag"] != etag
    revalidates(exposure_client, "/v1/policies/p-tool/exposure")


def test_the_semantics_are_written_in_the_openapi_document(exposure_client: TestClient) -> None:
    paths = exposure_client.get("/openapi.json").json()["paths"]
    for path in ("/v1/actors/{actor_id}/exposure", "/v1/policies/{policy_id}/exposure"):
        operation = paths[path]["get"]
        assert "no `effective_on` is *not* in force" in operation["description"]
        assert "undated side counts as always" in operation["description"]
        for parameter in operation["parameters"]:
            assert parameter["description"], parameter["name"]
            assert parameter["schema"]["examples"], parameter["name"]
        assert "400" in operation["responses"]
