"""The permission catalogue: every permission a role can carry, with its bilingual meaning."""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "org.read": "查看机构 · read organisations",
    "org.manage": "管理机构 · create/edit/delete organisations",
    "user.read": "查看用户 · read users",
    "user.manage": "管理用户 · create/edit/disable users, reset passwords",
    "role.read": "查看角色 · read roles and permissions",
    "role.manage": "管理角色 · create/edit/delete roles",
    "account.read": "查看公众号 · read WeChat accounts",
    "account.manage": "管理公众号 · create/edit accounts and their secrets, grant them",
    "command.read": "查看指令 · read commands and menu actions",
    "command.edit": "编辑指令 · edit commands and menu actions",
    "menu.read": "查看菜单 · read custom menus",
    "menu.edit": "编辑菜单 · edit custom menus",
    "menu.publish": "发布菜单 · publish/delete menus on WeChat",
    "reminder.read": "查看消息提醒 · read reminder types",
    "reminder.edit": "编辑消息提醒 · edit reminder types",
    "location.read": "查看地理位置 · read locations",
    "location.edit": "编辑地理位置 · edit and import locations",
    "config.read": "查看配置文件 · read config files",
    "config.edit": "编辑配置文件 · edit and roll back config files",
    "customer.read": "查看客户 · search customers",
    "customer.edit": "编辑客户 · edit customer segmentation",
    "customer.reveal": "查看完整号码 · see customer and phone numbers whole (audited)",
    "customer.handover": "转总行服务 · hand a branch account's customer over to head office",
    "application.read": "查看业务申请 · read prospects' applications",
    "application.manage": "处理业务申请 · change the status of applications (audited)",
    "material.read": "查看素材 · read the material library",
    "material.edit": "编辑素材 · upload and edit materials",
    "content.read": "查看发布 · read publications and mass sends",
    "content.submit": "提交发布 · draft and submit publications",
    "content.approve": "审核发布 · approve or reject publications",
    "audit.read": "查看审计日志 · read and export the audit log",
    "simulator.use": "使用粉丝模拟器 · post test messages as a follower through the simulator",
    "deadletter.replay": "死信处理 · read undeliverable messages (with bodies) and replay them",
    "stats.read": "查看统计报表 · read and export statistics reports",
    "cs.agent": "客服坐席 · take customer-service sessions and chat with customers",
    "cs.supervise": "客服主管 · see every queue and session of the scope, reassign, configure",
}

ALL_PERMISSIONS: frozenset[str] = frozenset(PERMISSIONS)
