"""Customer-service agents: ``/cgi-bin/customservice/getonlinekflist``."""

from __future__ import annotations

from sandboxes.faults import JsonObject
from sandboxes.wechat_api.protocol import ApiCall


class Agents:
    """The agents shown as online."""

    def __init__(self) -> None:
        self.online: list[JsonObject] = [
            {
                "kf_account": "agent1@gh_wxhubdemo0001",
                "status": 1,
                "kf_id": "1001",
                "accepted_case": 0,
            }
        ]

    async def online_list(self, call: ApiCall) -> JsonObject:
        """``/cgi-bin/customservice/getonlinekflist``."""
        return {"kf_online_list": self.online}
