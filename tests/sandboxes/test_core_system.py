from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from sandboxes.core_system import CoreSystemState, build_app
from tests.sandboxes.support import SharedServer

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def state() -> CoreSystemState:
    return CoreSystemState()


@pytest_asyncio.fixture(loop_scope="module")
async def client(
    shared_server: SharedServer, state: CoreSystemState
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=shared_server.mount(build_app(state))) as http:
        yield http


async def test_fund_nav(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/funds/000001/nav")

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {
        "code",
        "name",
        "nav",
        "accumulated_nav",
        "nav_date",
        "daily_change_pct",
        "as_of",
    }
    assert body["code"] == "000001"
    assert body["nav"] > 0
    assert body == (await client.get("/v1/funds/000001/nav")).json()


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/v1/funds/999999/nav", "fund_not_found"),
        ("/v1/wealth/WM9999/nav", "product_not_found"),
        ("/v1/customers/C9999/balance", "customer_not_found"),
        ("/v1/customers/C9999/transactions", "customer_not_found"),
        ("/v1/customers/C9999/holdings", "customer_not_found"),
        ("/v1/customers/C9999/opening-branch", "customer_not_found"),
        ("/v1/customers/C9999/agreements", "customer_not_found"),
    ],
)
async def test_unknown_codes_are_404(client: httpx.AsyncClient, path: str, error: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.json() == {"error": error}


async def test_wealth_nav_has_the_fund_shape(client: httpx.AsyncClient) -> None:
    wealth = (await client.get("/v1/wealth/WM0001/nav")).json()
    fund = (await client.get("/v1/funds/000001/nav")).json()

    assert set(wealth) == set(fund)
    assert wealth["code"] == "WM0001"


async def test_market_data(client: httpx.AsyncClient) -> None:
    fx = (await client.get("/v1/fx/rates")).json()
    gold = (await client.get("/v1/gold/price")).json()
    rates = (await client.get("/v1/rates/yields")).json()
    promotions = (await client.get("/v1/promotions")).json()

    usd = next(r for r in fx["rates"] if r["currency"] == "USD")
    assert usd["name"] == "美元"
    assert usd["buy"] < usd["sell"]
    assert gold["items"][0]["product"] == "Au99.99"
    assert gold["items"][0]["unit"] == "元/克"
    assert rates["deposit"][0]["term"] == "活期"
    assert {f["code"] for f in rates["money_funds"]} == {"000198", "003474"}
    assert all(0 < f["seven_day_yield"] < 5 for f in rates["money_funds"])
    assert set(promotions["items"][0]) == {"title", "summary", "url", "valid_until"}
    assert {fx["as_of"], gold["as_of"], rates["as_of"], promotions["as_of"]} == {fx["as_of"]}


async def test_balance_has_full_card_numbers(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/customers/C00000001/balance")).json()

    cards = [a["card_no"] for a in body["accounts"]]
    assert all(len(card) >= 16 and card.isdigit() for card in cards)
    assert body["total_assets"] == round(sum(a["balance"] for a in body["accounts"]), 2)


async def test_transactions_limit(client: httpx.AsyncClient) -> None:
    two = (await client.get("/v1/customers/C00000001/transactions", params={"limit": "2"})).json()
    default = (await client.get("/v1/customers/C00000001/transactions")).json()

    assert len(two["items"]) == 2
    assert two["items"] == default["items"][:2]
    assert two["items"][0]["date"] >= two["items"][1]["date"]


@pytest.mark.parametrize("limit", ["0", "51", "abc", "-1"])
async def test_transactions_bad_limit(client: httpx.AsyncClient, limit: str) -> None:
    response = await client.get("/v1/customers/C00000001/transactions", params={"limit": limit})

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_limit"}


async def test_holdings_add_up(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/customers/C00000001/holdings")).json()

    for item in body["items"]:
        assert item["market_value"] == round(item["shares"] * item["nav"], 2)
        assert item["profit"] == round(item["market_value"] - item["cost"], 2)
    assert body["total_market_value"] == round(sum(i["market_value"] for i in body["items"]), 2)


async def test_holdings_cover_funds_and_wealth_products(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/customers/C00000001/holdings")).json()

    assert [i["kind"] for i in body["items"]] == ["fund", "fund", "wealth"]
    wealth = body["items"][-1]
    assert wealth["code"] == "WM0002"
    assert wealth["nav"] == (await client.get("/v1/wealth/WM0002/nav")).json()["nav"]


async def test_opening_branch_per_account(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/customers/C00000001/opening-branch")).json()
    accounts = (await client.get("/v1/customers/C00000001/balance")).json()["accounts"]

    assert [i["card_no"] for i in body["items"]] == [a["card_no"] for a in accounts]
    assert {"branch", "branch_code", "address", "phone", "opened_on"} <= set(body["items"][0])
    assert body["as_of"]


async def test_agreements_filter_by_status(client: httpx.AsyncClient) -> None:
    every = (await client.get("/v1/customers/C00000001/agreements")).json()["items"]
    active = (
        await client.get("/v1/customers/C00000001/agreements", params={"status": "active"})
    ).json()["items"]
    cancelled = (
        await client.get("/v1/customers/C00000001/agreements", params={"status": "cancelled"})
    ).json()["items"]

    assert {i["status"] for i in active} == {"active"}
    assert all(i["cancelled_on"] is None for i in active)
    assert {i["status"] for i in cancelled} == {"cancelled"}
    assert all(i["cancelled_on"] for i in cancelled)
    assert len(every) == len(active) + len(cancelled)
    bad = await client.get("/v1/customers/C00000001/agreements", params={"status": "all"})
    assert bad.status_code == 400
    assert bad.json() == {"error": "invalid_status"}


async def test_latency_fault_makes_adapters_time_out(client: httpx.AsyncClient) -> None:
    await client.post(
        "/__sandbox__/faults", json={"path": "/v1/funds/*", "latency_ms": 400, "count": 1}
    )

    with pytest.raises(httpx.ReadTimeout):
        await client.get("/v1/funds/000001/nav", timeout=0.1)
    assert (await client.get("/v1/funds/000001/nav", timeout=10)).status_code == 200


async def test_http_status_fault_count(client: httpx.AsyncClient, state: CoreSystemState) -> None:
    await client.post(
        "/__sandbox__/faults", json={"path": "/v1/fx/rates", "http_status": 503, "count": 1}
    )

    statuses = [(await client.get("/v1/fx/rates")).status_code for _ in range(2)]

    assert statuses == [503, 200]
    assert (await client.get("/__sandbox__/stats")).json()["calls"]["/v1/fx/rates"] == {
        "http_503": 1,
        "200": 1,
    }
    assert [c.outcome for c in state.calls] == ["http_503", "200"]


async def test_glob_fault_leaves_other_paths_alone(client: httpx.AsyncClient) -> None:
    await client.post("/__sandbox__/faults", json={"path": "/v1/customers/*", "http_status": 500})

    assert (await client.get("/v1/customers/C00000001/balance")).status_code == 500
    assert (await client.get("/v1/gold/price")).status_code == 200


async def test_identity_verify_names_the_customer(client: httpx.AsyncClient) -> None:
    identity = {
        "id_number": "110101199003070011",
        "card_no": "6222020000000012345",
        "password": "123456",
    }
    response = await client.post("/v1/identity/verify", json=identity)

    assert response.status_code == 200
    body = response.json()
    assert body["customer_no"] == "C00000001"
    assert body["as_of"]
    balance = (await client.get(f"/v1/customers/{body['customer_no']}/balance")).json()
    assert identity["card_no"] in [a["card_no"] for a in balance["accounts"]]


@pytest.mark.parametrize("field", ["id_number", "card_no", "password"])
async def test_identity_verify_refuses_any_wrong_field(
    client: httpx.AsyncClient, state: CoreSystemState, field: str
) -> None:
    identity = {
        "id_number": "110101199003070011",
        "card_no": "6222020000000012345",
        "password": "123456",
        field: "000000",
    }
    response = await client.post("/v1/identity/verify", json=identity)

    assert response.status_code == 422
    assert response.json() == {"error": "identity_mismatch"}
    # The call log keeps which fields came, never their values.
    assert "123456" not in repr(list(state.calls))
    assert "6222020000000012345" not in repr(list(state.calls))


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"id_number": "1"}'])
async def test_identity_verify_refuses_malformed_body(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post("/v1/identity/verify", content=body)

    assert response.status_code == 400
    assert response.json() == {"error": "invalid_request"}
