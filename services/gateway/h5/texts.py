"""Every word the pages show, in Chinese (the default) and English (the page's toggle)."""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]

# key → (Chinese, English); ``{name}`` placeholders are filled by :func:`text`.
TEXTS: dict[str, tuple[str, str]] = {
    "bind.title": ("绑定身份", "Link your identity"),
    "bind.intro": (
        "验证通过后，即可在公众号内查询本人的余额和交易明细。",
        "Once verified, you can check your own balance and transactions in this chat.",
    ),
    "bind.id_number": ("身份证号", "ID card number"),
    "bind.card_no": ("银行卡号", "Bank card number"),
    "bind.password": ("查询密码", "Query password"),
    "bind.submit": ("验证并绑定", "Verify and link"),
    "bind.note": (
        "您填写的信息仅用于向核心系统核验身份，本平台不保存。",
        "What you enter is only passed on to verify your identity; it is never stored here.",
    ),
    "unbind.title": ("解除身份绑定", "Unlink your identity"),
    "unbind.intro": (
        "解除后，将无法在公众号内查询本人的余额和交易明细，业务提醒也可能无法送达。",
        "After unlinking you can no longer check your accounts in this chat, and alerts may "
        "no longer reach you.",
    ),
    "unbind.submit": ("确认解除绑定", "Unlink"),
    "unbind.note": ("如不想解除，直接关闭本页面即可。", "To keep the link, just close this page."),
    "subscriptions.title": ("服务订阅", "Alert subscriptions"),
    "subscriptions.intro": (
        "请选择您希望在公众号内收到的业务提醒，未勾选的提醒将不再发送给您。",
        "Choose the alerts you want to get in this chat; unticked ones will no longer be sent.",
    ),
    "subscriptions.submit": ("保存", "Save"),
    "subscriptions.note": (
        "取消关注公众号后，业务提醒将不再通过微信发送。",
        "If you unfollow the account, alerts are no longer sent through WeChat.",
    ),
    "subscriptions.empty": ("当前没有可订阅的提醒。", "There are no alerts to choose from."),
    "saved.title": ("已保存", "Saved"),
    "saved.text": (
        "您的订阅设置已保存。如需修改，请在公众号发送“订阅”。",
        "Your choices are saved. To change them, send “订阅” in the chat.",
    ),
    "not_bound_sub.title": ("尚未绑定", "Not linked"),
    "not_bound_sub.text": (
        "订阅业务提醒前请先绑定身份：请在公众号发送“绑定”。",
        "Link your identity first: send “绑定” in the chat.",
    ),
    "oauth_refused.title": ("授权失败", "Authorisation failed"),
    "oauth_refused.text": (
        "微信授权无效或已过期，请返回公众号，从菜单重新进入。",
        "WeChat's authorisation is invalid or has expired; go back to the account and open the "
        "page from its menu again.",
    ),
    "error_unavailable.title": ("系统繁忙", "Service busy"),
    "error_unavailable.text": (
        "系统繁忙，请稍后从公众号菜单重新进入。",
        "The service is busy; please open the page from the menu again later.",
    ),
    "phone.title": ("绑定手机", "Link your phone"),
    "phone.intro": (
        "绑定后，业务提醒可通过短信发送到该手机号。我们将向您的手机发送 6 位验证码。",
        "Once linked, alerts can reach this number by SMS. We will text you a 6-digit code.",
    ),
    "phone.phone": ("手机号", "Mobile number"),
    "phone.send": ("获取验证码", "Send code"),
    "phone.code": ("验证码", "Code"),
    "phone.verify": ("验证并绑定", "Verify and link"),
    "phone.pending": (
        "验证码已发送至 {phone}，{minutes} 分钟内有效。",
        "A code was sent to {phone}; it is valid for {minutes} minutes.",
    ),
    "phone.note": (
        "手机号加密保存，仅用于向您发送业务提醒。",
        "The number is stored encrypted and only used to send you alerts.",
    ),
    "phone_bound.title": ("手机绑定成功", "Phone linked"),
    "phone_bound.text": (
        "手机号 {phone} 已绑定，可返回公众号继续使用。",
        "{phone} is linked. You can go back to the chat.",
    ),
    "error.phone": (
        "请填写 11 位手机号码。",
        "Please enter an 11-digit mobile number.",
    ),
    "error.code_format": ("验证码应为 6 位数字。", "The code has 6 digits."),
    "error.code_wrong": (
        "验证码不正确（还可尝试 {tries} 次）。",
        "The code is wrong ({tries} tries left).",
    ),
    "error.code_no_tries": (
        "验证码错误次数过多，请重新获取验证码。",
        "Too many wrong codes; please ask for a new one.",
    ),
    "error.code_expired": ("验证码已过期，请重新获取。", "The code expired; ask for a new one."),
    "error.code_none": ("请先获取验证码。", "Ask for a code first."),
    "error.code_throttled": (
        "验证码已发送，请 {seconds} 秒后再重新获取。",
        "A code was just sent; you can ask again in {seconds} seconds.",
    ),
    "error.sms_unavailable": (
        "短信暂时无法发送，请稍后再试。",
        "The text message could not be sent; please try again later.",
    ),
    "limited.title": ("今日次数已用完", "Daily limit reached"),
    "limited.text": (
        "您今日的{operation}次数已达上限（{limit} 次），请明天再试。",
        "You have reached today's limit for this operation ({operation}, {limit} times); "
        "please try again tomorrow.",
    ),
    "apply.title": ("在线申请", "Apply online"),
    "apply.intro": (
        "请填写姓名和手机号并选择申请的产品，我们将在审核后与您联系。提交后可在公众号发送“进度”查询。",
        "Enter your name and mobile number and choose a product; we will contact you after "
        "review. Send “进度” in the chat to follow your application.",
    ),
    "apply.name": ("姓名", "Name"),
    "apply.product": ("申请产品", "Product"),
    "apply.submit": ("提交申请", "Submit application"),
    "apply.note": (
        "手机号加密保存，仅用于办理本次申请。",
        "The number is stored encrypted and only used for this application.",
    ),
    "applied.title": ("申请已提交", "Application submitted"),
    "applied.text": (
        "您的申请已提交，申请编号 {reference}。可返回公众号发送“进度”查询办理进度。",
        "Your application is submitted (number {reference}). Send “进度” in the chat to follow it.",
    ),
    "apply_duplicate.title": ("申请办理中", "Application in progress"),
    "apply_duplicate.text": (
        "您已提交过该产品的申请，正在办理中，请发送“进度”查询，无需重复提交。",
        "You already applied for this product and it is being processed; send “进度” to follow it.",
    ),
    "error.name": (
        "请填写 2 至 32 个字的姓名，只能包含汉字、字母、空格和“·”。",
        "Please enter your name (2 to 32 letters; spaces and “·” allowed).",
    ),
    "error.product": ("请选择申请的产品。", "Please choose a product."),
    "transfer.title": ("转账汇款", "Transfers"),
    "transfer.intro": (
        "为保障您的资金安全，公众号内不办理转账汇款。请点击下方按钮进入手机银行完成操作。",
        "For your money's safety, transfers are never made in this chat. Use mobile banking "
        "through the button below.",
    ),
    "transfer.open": ("进入手机银行转账", "Open mobile banking"),
    "transfer.note": (
        "谨防诈骗：工作人员不会向您索要密码或验证码，请勿向陌生账户转账。",
        "Beware of fraud: our staff never ask for passwords or codes; never transfer money to "
        "strangers.",
    ),
    "toggle": ("English", "中文"),
    "again": (
        "请返回公众号对话，重新发送“{command}”获取新的链接。",
        "Go back to the chat and send “{command}” again for a new link.",
    ),
    "used.title": ("链接已使用", "Link already used"),
    "used.text": (
        "该链接已使用过，每个链接只能使用一次。{again}",
        "This link was used already; each link works once. {again}",
    ),
    "expired.title": ("链接已过期", "Link expired"),
    "expired.text": ("该链接已过期。{again}", "This link has expired. {again}"),
    "forged.title": ("链接无效", "Invalid link"),
    "forged.text": (
        "该链接无效或已被修改。{again}",
        "This link is invalid or was altered. {again}",
    ),
    "locked.title": ("绑定已锁定", "Linking locked"),
    "locked.text": (
        "身份验证失败次数过多，绑定功能已暂时锁定，请 {hours} 小时后再试或联系客服。",
        "Too many failed attempts: linking is locked. Try again in {hours} hours or contact "
        "customer service.",
    ),
    "too_large.title": ("提交内容过大", "Too much data"),
    "too_large.text": (
        "提交的内容超出限制，请返回重新填写。",
        "What was sent is too large; please go back and fill in the form again.",
    ),
    "unreadable.title": ("无法识别的提交", "Unrecognised submission"),
    "unreadable.text": (
        "请通过公众号消息中的链接打开页面提交。",
        "Please open the page from the link in the chat and submit it there.",
    ),
    "csrf.title": ("页面已失效", "Page expired"),
    "csrf.text": (
        "页面校验失败，请从公众号消息中的链接重新打开页面。",
        "This page could not be verified; open it again from the link in the chat.",
    ),
    "bound.title": ("绑定成功", "Linked"),
    "bound.text": (
        "身份验证通过，绑定已完成。请返回公众号，发送“余额”或“明细”查询。",
        "Your identity is verified and linked. Go back to the chat and send “余额” or “明细”.",
    ),
    "unbound.title": ("已解除绑定", "Unlinked"),
    "unbound.text": (
        "身份绑定已解除。如需查询本人账户，请发送“绑定”。",
        "Your identity is unlinked. Send “绑定” to link it again.",
    ),
    "not_bound.title": ("尚未绑定", "Not linked"),
    "not_bound.text": ("您当前没有绑定身份，无需解除。", "Your identity is not linked."),
    "error.id_number": (
        "身份证号格式不正确，请填写 18 位居民身份证号码。",
        "The ID card number is not valid: 18 characters expected.",
    ),
    "error.card_no": (
        "银行卡号格式不正确，请填写 12 至 19 位数字。",
        "The card number is not valid: 12 to 19 digits expected.",
    ),
    "error.password": ("查询密码应为 6 位数字。", "The query password has 6 digits."),
    "error.mismatch": (
        "身份信息不匹配，请核对后重试（还可尝试 {tries} 次）。",
        "The details do not match; please check them ({tries} tries left).",
    ),
    "error.unavailable": (
        "系统繁忙，暂时无法验证身份，请稍后再试。",
        "The service is busy and cannot verify you now; please try again later.",
    ),
}


def lang_of(value: str | None) -> Lang:
    """The page language asked for; Chinese unless English was chosen."""
    return "en" if value == "en" else "zh"


def text(key: str, lang: Lang, **values: object) -> str:
    """The text ``key`` in ``lang`` with its placeholders filled."""
    zh, en = TEXTS[key]
    return (en if lang == "en" else zh).format(**values)
