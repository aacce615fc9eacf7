"""Server-rendered second-level pages: mobile-first, Chinese, no scripts, nothing cached.

Every value shown is HTML-escaped; every response carries a strict Content-Security-Policy (no
script at all, styles only from this page, forms only back to us, no framing) and
``Cache-Control: no-store`` so a shared phone's browser keeps no copy of a personal page.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from starlette.responses import HTMLResponse

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_STYLE = """
body{margin:0;font:16px/1.6 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
background:#f5f6f8;color:#1f2329}
main{max-width:480px;margin:0 auto;padding:24px 16px}
h1{font-size:20px;margin:0 0 16px}
p{margin:0 0 12px}
label{display:block;margin:16px 0 4px;font-size:14px;color:#4e5969}
input{box-sizing:border-box;width:100%;padding:12px;font-size:16px;border:1px solid #c9cdd4;
border-radius:8px;background:#fff}
button{width:100%;margin-top:24px;padding:14px;font-size:17px;border:0;border-radius:8px;
background:#07c160;color:#fff}
.error{padding:12px;border-radius:8px;background:#fff1f0;color:#cf1322}
.note{font-size:13px;color:#86909c}
"""


@dataclass(frozen=True, slots=True)
class BindForm:
    """What the binding form needs: the link token, the CSRF token, an optional error."""

    token: str
    csrf: str
    error: str = ""


def _page(title: str, body: str, status: int) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def bind_form(form: BindForm, status: int = 200) -> HTMLResponse:
    """The binding form; values the user typed are never echoed back."""
    error = f'<p class="error" role="alert">{escape(form.error)}</p>' if form.error else ""
    body = f"""<h1>绑定身份</h1>
<p>验证通过后，即可在公众号内查询本人的余额和交易明细。</p>{error}
<form method="post" action="/h5/bind" autocomplete="off">
<input type="hidden" name="t" value="{escape(form.token)}">
<input type="hidden" name="csrf" value="{escape(form.csrf)}">
<label for="id_number">身份证号</label>
<input id="id_number" name="id_number" maxlength="18" required>
<label for="card_no">银行卡号</label>
<input id="card_no" name="card_no" inputmode="numeric" maxlength="19" required>
<label for="password">查询密码</label>
<input id="password" name="password" type="password" inputmode="numeric" maxlength="6" required>
<button type="submit">验证并绑定</button>
</form>
<p class="note">您填写的信息仅用于向核心系统核验身份，本平台不保存。</p>"""
    return _page("绑定身份", body, status)


def unbind_form(token: str, csrf: str) -> HTMLResponse:
    """Asks to confirm the unbind; nothing changes until the button is pressed."""
    body = f"""<h1>解除身份绑定</h1>
<p>解除后，将无法在公众号内查询本人的余额和交易明细，业务提醒也可能无法送达。</p>
<form method="post" action="/h5/unbind">
<input type="hidden" name="t" value="{escape(token)}">
<input type="hidden" name="csrf" value="{escape(csrf)}">
<button type="submit">确认解除绑定</button>
</form>
<p class="note">如不想解除，直接关闭本页面即可。</p>"""
    return _page("解除身份绑定", body, 200)


def message(title: str, text: str, status: int) -> HTMLResponse:
    """A page that only says something (done, expired, locked…)."""
    body = f"<h1>{escape(title)}</h1><p>{escape(text)}</p>"
    return _page(title, body, status)


def link_refused(reason: str, command: str = "绑定") -> HTMLResponse:
    """A used, expired or forged link: say which, and that sending ``command`` gets a new one."""
    again = f"请返回公众号对话，重新发送“{command}”获取新的链接。"
    if reason == "used":
        return message("链接已使用", f"该链接已使用过，每个链接只能使用一次。{again}", 410)
    if reason == "expired":
        return message("链接已过期", f"该链接已过期。{again}", 410)
    return message("链接无效", f"该链接无效或已被修改。{again}", 400)
