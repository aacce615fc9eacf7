"""Moving an organisation: head office only, no cycles, the subtree's paths and scope follow."""

from __future__ import annotations

from libs.common.db.models import Material
from tests.services.admin_api.support import AdminStack

URL = "/api/v1/orgs"


async def _org(stack: AdminStack, code: str, parent_id: int) -> dict[str, object]:
    response = await stack.call(
        "admin", "POST", URL, json={"code": code, "name": code, "parent_id": parent_id}
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_move_carries_the_subtree_and_its_data_scope(stack: AdminStack) -> None:
    sh, bj, hq = stack.ids["org_sh"], stack.ids["org_bj"], stack.ids["org_hq"]
    pudong = await _org(stack, "SH-PD", sh)
    desk = await _org(stack, "SH-PD-1", int(str(pudong["id"])))
    async with stack.sessions.begin() as session:
        material = Material(org_id=int(str(desk["id"])), kind="text", text="浦东")
        session.add(material)
        await session.flush()
        material_id = material.id
    assert (
        await stack.call("sh_super", "GET", f"/api/v1/materials/{material_id}")
    ).status_code == 200
    moved = await stack.call("admin", "POST", f"{URL}/{pudong['id']}/move", json={"parent_id": bj})
    assert moved.status_code == 200, moved.text
    assert moved.json()["path"] == f"/{hq}/{bj}/{pudong['id']}/"
    child = (await stack.call("admin", "GET", f"{URL}/{desk['id']}")).json()
    assert child["path"] == f"/{hq}/{bj}/{pudong['id']}/{desk['id']}/"
    # Shanghai no longer sees the moved branch nor what belongs to it.
    assert (await stack.call("sh_super", "GET", f"{URL}/{desk['id']}")).status_code == 404
    assert (
        await stack.call("sh_super", "GET", f"/api/v1/materials/{material_id}")
    ).status_code == 404
    audit = await stack.call(
        "admin", "GET", f"/api/v1/audit?action=org.move&entity_id={pudong['id']}"
    )
    entry = audit.json()["items"][0]
    assert (entry["before"]["parent_id"], entry["after"]["parent_id"]) == (sh, bj)
    assert entry["after"]["moved_descendants"] == 1


async def test_cycles_the_root_and_branch_users_are_refused(stack: AdminStack) -> None:
    sh = stack.ids["org_sh"]
    pudong = await _org(stack, "SH-PD", sh)
    under_child = await stack.call(
        "admin", "POST", f"{URL}/{sh}/move", json={"parent_id": pudong["id"]}
    )
    assert under_child.status_code == 409
    under_self = await stack.call("admin", "POST", f"{URL}/{sh}/move", json={"parent_id": sh})
    assert under_self.status_code == 409
    root = await stack.call(
        "admin", "POST", f"{URL}/{stack.ids['org_hq']}/move", json={"parent_id": sh}
    )
    assert root.status_code == 409
    # A branch user with org.manage may create sub-branches but not re-parent them.
    branch = await stack.call(
        "sh_super", "POST", f"{URL}/{pudong['id']}/move", json={"parent_id": sh}
    )
    assert branch.status_code == 403
    nowhere = await stack.call(
        "admin", "POST", f"{URL}/{pudong['id']}/move", json={"parent_id": 999999}
    )
    assert nowhere.status_code == 404
    # Nothing moved.
    hq = stack.ids["org_hq"]
    assert (await stack.call("admin", "GET", f"{URL}/{sh}")).json()["path"] == f"/{hq}/{sh}/"
    moved = (await stack.call("admin", "GET", f"{URL}/{pudong['id']}")).json()
    assert (moved["parent_id"], moved["path"]) == (sh, f"/{hq}/{sh}/{pudong['id']}/")
