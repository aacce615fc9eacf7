"""Example request bodies for the admin API's OpenAPI document (``/docs`` shows them filled in).

Kept in one table by schema name rather than on each model, so a model can move between modules
without losing its example; :func:`install_examples` puts them into the generated document and a
test checks that every JSON request body has one and that each passes its model's validation.
All values are demo data (a fund company's head office, branches and WeChat account).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

_BUTTONS = [
    {"name": "基金净值", "type": "click", "key": "FUND_NAV"},
    {
        "name": "服务",
        "sub_button": [
            {"name": "附近网点", "type": "location_select", "key": "NEARBY"},
            {"name": "在线客服", "type": "view", "url": "https://example.com/service"},
        ],
    },
]
_CRITERIA = {"category": "vip", "region": "上海", "tags": ["稳健型"], "binding_state": "bound"}

EXAMPLES: dict[str, dict[str, Any]] = {
    "StatusWrite": {"status": "online"},
    "StatusChange": {"status": "reviewing", "note": "资料已收到，审核约需 3 个工作日。"},
    "AgentWrite": {"cap": 10, "groups": ["default", "vip"]},
    "MessageWrite": {"text": "您好，我是客服小王，请问有什么可以帮您？"},
    "TransferWrite": {"to_group": "vip", "note": "客户咨询大额赎回，请理财经理跟进"},
    "CannedWrite": {"title": "营业时间", "content": "人工客服服务时间为工作日 9:00-18:00。"},
    "ConfigBody": {
        "enabled": True,
        "group": "default",
        "keywords": ["人工", "转人工", "客服"],
        "menu_key": "CS",
        "end_keyword": "结束",
        "message_keyword": "留言",
        "timezone": "Asia/Shanghai",
        "hours": {str(day): ["09:00", "18:00"] for day in range(1, 6)},
        "holidays": ["2026-10-01"],
        "off_hours_text": "",
        "idle_timeout_s": 600,
    },
    "SimulatorSend": {"openid": "oSimulatorDemo0001", "kind": "text", "content": "基金 000001"},
    "OrgCreate": {"code": "GZ", "name": "广州分公司", "parent_id": 1},
    "OrgUpdate": {"name": "广州分公司（天河）"},
    "OrgMove": {"parent_id": 2},
    "UserCreate": {
        "username": "gz_editor",
        "display_name": "广州编辑",
        "password": "Change-me-2026",
        "org_id": 4,
        "role_ids": [3],
    },
    "UserUpdate": {"display_name": "广州运营编辑", "is_active": True, "role_ids": [3]},
    "PasswordReset": {"password": "Temporary-pass-2026"},
    "PasswordChange": {"current_password": "Old-pass-2026", "new_password": "New-pass-2026!"},
    "RefreshRequest": {"refresh_token": "rt_8f6c0d2e4b1a4c9e9d7f"},
    "RoleCreate": {
        "code": "gz_operator",
        "name": "广州运营",
        "description": "分公司日常运营 · branch operations",
        "org_id": 4,
        "permissions": ["content.read", "content.submit", "customer.read"],
    },
    "RoleUpdate": {"permissions": ["content.read", "content.submit", "material.read"]},
    "AccountCreate": {
        "code": "gz",
        "name": "广州分公司服务号",
        "appid": "wx0123456789abcdef",
        "original_id": "gh_0123456789ab",
        "mode": "safe",
        "app_secret": "app-secret-from-the-wechat-platform",
        "token": "gzserviceToken2026",
        "encoding_aes_key": "WFvFpOc4yr1ZCUmocbwe6Y5TvI15dQxddWNzj1psCMn",
        "welcome_text": "欢迎关注！回复“帮助”查看基金净值、理财产品等服务。",
        "org_id": 4,
    },
    "AccountUpdate": {"welcome_text": "欢迎关注广州分公司！", "enabled": True},
    "GrantsUpdate": {"org_ids": [2, 3]},
    "CommandCreate": {
        "account_id": 1,
        "name": "基金净值",
        "match_kind": "prefix",
        "pattern": "基金",
        "handler": "fund_nav",
        "priority": 10,
        "description": "基金 000001 → 最新净值",
        "show_in_help": True,
    },
    "CommandUpdate": {"pattern": "净值", "enabled": True},
    "MenuActionCreate": {
        "account_id": 1,
        "key": "FUND_NAV",
        "handler": "fund_nav",
        "params": {"fund_code": "000001"},
        "description": "菜单「基金净值」",
    },
    "MenuActionUpdate": {"params": {"fund_code": "110022"}},
    "ReminderTypeCreate": {
        "account_id": 1,
        "event_type": "dividend_paid",
        "name": "分红到账提醒",
        "template_id": "tpl-dividend",
        "template_fields": {"thing1": "{fund_name}", "amount2": "{amount}"},
        "cs_text": "{fund_name} 分红 {amount} 元已到账。",
        "sms_text": "【基金】{fund_name}分红{amount}元已到账。",
        "fallback_allowed": True,
        "sms_to_unsubscribed": False,
        "default_fallback": "sms",
        "default_priority": "alert",
    },
    "ReminderTypeUpdate": {"cs_text": "{fund_name} 本次分红 {amount} 元已到账。"},
    "LocationCreate": {
        "account_id": 1,
        "kind": "branch",
        "name": "天河理财中心",
        "address": "广州市天河区珠江新城 1 号",
        "latitude": 23.1195,
        "longitude": 113.3214,
        "phone": "020-12345678",
        "opening_hours": "周一至周五 09:00-17:00",
        "tags": ["理财", "开户"],
    },
    "LocationUpdate": {"opening_hours": "周一至周六 09:00-17:30"},
    "DefaultMenuUpdate": {"buttons": _BUTTONS},
    "MenuCreate": {
        "account_id": 1,
        "name": "VIP 菜单",
        "buttons": _BUTTONS,
        "matchrule": {"tag_id": "100"},
    },
    "MenuUpdate": {"name": "VIP 客户菜单"},
    "TextCreate": {"title": "节假日安排", "text": "国庆期间基金申购赎回暂停，10 月 8 日恢复。"},
    "NewsCreate": {
        "title": "四季度投资策略",
        "articles": [
            {
                "title": "四季度投资策略",
                "author": "研究部",
                "digest": "稳健为先，关注债券基金配置机会",
                "content": "<p>正文……</p>",
                "cover_material_id": 1,
            }
        ],
    },
    "MaterialUpdate": {"title": "四季度投资策略（更新）"},
    "AudienceCreate": {
        "account_id": 1,
        "name": "上海 VIP 稳健型",
        "description": "已绑定的上海 VIP 稳健型客户",
        "criteria": _CRITERIA,
    },
    "AudienceUpdate": {"criteria": {**_CRITERIA, "region": "广州"}},
    "AudiencePreview": {"account_id": 1, "criteria": _CRITERIA},
    "PublicationCreate": {
        "account_id": 1,
        "kind": "group",
        "title": "四季度投资策略推送",
        "material_id": 2,
        "audience": {"audience_id": 1},
        "scheduled_at": "2026-10-09T09:30:00+08:00",
    },
    "PublicationUpdate": {"scheduled_at": "2026-10-10T09:30:00+08:00"},
    "ReviewBody": {"comment": "内容合规，同意发布"},
    "ConfigCreate": {
        "name": "engine/help.yaml",
        "format": "yaml",
        "content": "header: 欢迎使用基金服务\n",
        "description": "帮助菜单文案",
        "comment": "首次创建",
    },
    "ConfigSave": {"content": "header: 欢迎使用基金服务（新版）\n", "comment": "更新文案"},
    "Rollback": {"version": 1, "comment": "回滚到首版"},
    "ProfileUpdate": {"category": "vip", "region": "上海", "tags": ["稳健型"]},
    "HandoverCreate": {"note": "咨询总部理财产品，转总行服务号"},
    "RevealRequest": {"reason": "客户来电核实身份"},
    "ReplayRequest": {"limit": 10, "message_ids": ["9f2c1d7e5b3a4c8d"]},
}


def install_examples(app: FastAPI) -> None:
    """Make ``app.openapi()`` carry :data:`EXAMPLES` on the request schemas of those names."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()  # cached by FastAPI until the routes change
        schemas = document.get("components", {}).get("schemas", {})
        for name, example in EXAMPLES.items():
            if name in schemas:
                schemas[name]["examples"] = [example]
        return document

    app.openapi = openapi  # type: ignore[method-assign]
