"""Server-rendered second-level pages: mobile-first, Chinese (an English toggle), no scripts,
nothing cached.

Every value shown is HTML-escaped; every response carries a strict Content-Security-Policy (no
script at all, styles only from this page, forms only back to us, no framing) and
``Cache-Control: no-store`` so a shared phone's browser keeps no copy of a personal page.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlencode

from starlette.responses import HTMLResponse

from services.gateway.h5.subscriptions import FIELD_PREFIX, Choice
from services.gateway.h5.texts import Lang, text

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
input,select{box-sizing:border-box;width:100%;padding:12px;font-size:16px;
border:1px solid #c9cdd4;border-radius:8px;background:#fff}
button,.button{display:block;box-sizing:border-box;width:100%;margin-top:24px;padding:14px;
font-size:17px;border:0;border-radius:8px;background:#07c160;color:#fff;text-align:center;
text-decoration:none}
.error{padding:12px;border-radius:8px;background:#fff1f0;color:#cf1322}
.note{font-size:13px;color:#86909c}
.toggle{margin:0;text-align:right;font-size:14px}
.choice{display:flex;align-items:center;gap:12px;margin:12px 0;padding:12px;border-radius:8px;
background:#fff;color:#1f2329;font-size:16px}
.choice input{width:20px;height:20px;margin:0}
"""


@dataclass(frozen=True, slots=True)
class BindForm:
    """What the binding form needs: the link token, the CSRF token, an optional error."""

    token: str
    csrf: str
    error: str = ""
    lang: Lang = "zh"


def _page(title: str, body: str, status: int, lang: Lang) -> HTMLResponse:
    html_lang = "en" if lang == "en" else "zh-CN"
    html = (
        f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def _toggle(page: str, token: str, lang: Lang) -> str:
    """A link to the same page in the other language (a GET: it changes nothing)."""
    other = "zh" if lang == "en" else "en"
    href = f"/h5/{page}?{urlencode({'t': token, 'lang': other})}"
    return f'<p class="toggle"><a href="{escape(href)}">{text("toggle", lang)}</a></p>'


def _hidden(token: str, csrf: str, lang: Lang) -> str:
    return (
        f'<input type="hidden" name="t" value="{escape(token)}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="lang" value="{lang}">'
    )


def _outcome(error: str, info: str = "") -> str:
    """A form's error (an alert), then its note of what was done (a status); escaped."""
    shown = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return shown + (f'<p class="note" role="status">{escape(info)}</p>' if info else "")


def _phone_and_code(lang: Lang) -> str:
    """The number with its "send code" button, then the code field (its button follows)."""
    return f"""<label for="phone">{text("phone.phone", lang)}</label>
<input id="phone" name="phone" type="tel" inputmode="numeric" maxlength="11">
<button type="submit" name="action" value="send">{text("phone.send", lang)}</button>
<label for="code">{text("phone.code", lang)}</label>
<input id="code" name="code" inputmode="numeric" maxlength="6" autocomplete="one-time-code">"""


def bind_form(form: BindForm, status: int = 200) -> HTMLResponse:
    """The binding form; values the user typed are never echoed back."""
    lang = form.lang
    body = f"""{_toggle("bind", form.token, lang)}<h1>{text("bind.title", lang)}</h1>
<p>{text("bind.intro", lang)}</p>{_outcome(form.error)}
<form method="post" action="/h5/bind" autocomplete="off">{_hidden(form.token, form.csrf, lang)}
<label for="id_number">{text("bind.id_number", lang)}</label>
<input id="id_number" name="id_number" maxlength="18" required>
<label for="card_no">{text("bind.card_no", lang)}</label>
<input id="card_no" name="card_no" inputmode="numeric" maxlength="19" required>
<label for="password">{text("bind.password", lang)}</label>
<input id="password" name="password" type="password" inputmode="numeric" maxlength="6" required>
<button type="submit">{text("bind.submit", lang)}</button>
</form>
<p class="note">{text("bind.note", lang)}</p>"""
    return _page(text("bind.title", lang), body, status, lang)


def unbind_form(token: str, csrf: str, lang: Lang = "zh") -> HTMLResponse:
    """Asks to confirm the unbind; nothing changes until the button is pressed."""
    body = f"""{_toggle("unbind", token, lang)}<h1>{text("unbind.title", lang)}</h1>
<p>{text("unbind.intro", lang)}</p>
<form method="post" action="/h5/unbind">{_hidden(token, csrf, lang)}
<button type="submit">{text("unbind.submit", lang)}</button>
</form>
<p class="note">{text("unbind.note", lang)}</p>"""
    return _page(text("unbind.title", lang), body, 200, lang)


def subscriptions_form(
    token: str, csrf: str, choices: list[Choice], lang: Lang = "zh"
) -> HTMLResponse:
    """One checkbox per reminder type, ticked when the customer gets it."""
    boxes = "".join(
        f'<label class="choice"><input type="checkbox" '
        f'name="{escape(FIELD_PREFIX + c.event_type)}" value="1"'
        f"{' checked' if c.subscribed else ''}>{escape(c.name)}</label>"
        for c in choices
    )
    if not choices:
        boxes = f"<p>{text('subscriptions.empty', lang)}</p>"
    body = f"""{_toggle("subscriptions", token, lang)}<h1>{text("subscriptions.title", lang)}</h1>
<p>{text("subscriptions.intro", lang)}</p>
<form method="post" action="/h5/subscriptions">{_hidden(token, csrf, lang)}{boxes}
<button type="submit">{text("subscriptions.submit", lang)}</button>
</form>
<p class="note">{text("subscriptions.note", lang)}</p>"""
    return _page(text("subscriptions.title", lang), body, 200, lang)


@dataclass(frozen=True, slots=True)
class PhoneForm:
    """What the phone form shows: tokens, a note of the code sent, an error."""

    token: str
    csrf: str
    lang: Lang = "zh"
    info: str = ""
    error: str = ""


def phone_form(form: PhoneForm, status: int = 200) -> HTMLResponse:
    """Number and "send code", then code and "verify" (one form, the button says which)."""
    lang = form.lang
    body = f"""{_toggle("phone", form.token, lang)}<h1>{text("phone.title", lang)}</h1>
<p>{text("phone.intro", lang)}</p>{_outcome(form.error, form.info)}
<form method="post" action="/h5/phone" autocomplete="off">{_hidden(form.token, form.csrf, lang)}
{_phone_and_code(lang)}
<button type="submit" name="action" value="verify">{text("phone.verify", lang)}</button>
</form>
<p class="note">{text("phone.note", lang)}</p>"""
    return _page(text("phone.title", lang), body, status, lang)


@dataclass(frozen=True, slots=True)
class ApplyForm:
    """What the application form shows: tokens, the products, values already checked (a valid
    name and product are kept across the code step), a note of the code sent, an error."""

    token: str
    csrf: str
    products: dict[str, str]
    lang: Lang = "zh"
    name: str = ""
    product: str = ""
    info: str = ""
    error: str = ""


def apply_form(form: ApplyForm, status: int = 200) -> HTMLResponse:
    """Name, number and "send code", product, code and "submit" (the button says which)."""
    lang = form.lang
    options = "".join(
        f'<option value="{escape(code)}"{" selected" if code == form.product else ""}>'
        f"{escape(name)}</option>"
        for code, name in form.products.items()
    )
    body = f"""{_toggle("apply", form.token, lang)}<h1>{text("apply.title", lang)}</h1>
<p>{text("apply.intro", lang)}</p>{_outcome(form.error, form.info)}
<form method="post" action="/h5/apply" autocomplete="off">{_hidden(form.token, form.csrf, lang)}
<label for="name">{text("apply.name", lang)}</label>
<input id="name" name="name" maxlength="32" value="{escape(form.name)}">
<label for="product">{text("apply.product", lang)}</label>
<select id="product" name="product">{options}</select>
{_phone_and_code(lang)}
<button type="submit" name="action" value="submit">{text("apply.submit", lang)}</button>
</form>
<p class="note">{text("apply.note", lang)}</p>"""
    return _page(text("apply.title", lang), body, status, lang)


def transfer_page(token: str, target: str, lang: Lang = "zh") -> HTMLResponse:
    """Says transfers are done in mobile banking, with a button leading there."""
    body = f"""{_toggle("transfer", token, lang)}<h1>{text("transfer.title", lang)}</h1>
<p>{text("transfer.intro", lang)}</p>
<a class="button" href="{escape(target)}" rel="noopener noreferrer">
{text("transfer.open", lang)}</a>
<p class="note">{text("transfer.note", lang)}</p>"""
    return _page(text("transfer.title", lang), body, 200, lang)


def notice(key: str, status: int, lang: Lang = "zh", **values: object) -> HTMLResponse:
    """A page that only says something (done, expired, locked…): ``key.title`` and ``key.text``."""
    title = text(f"{key}.title", lang)
    body = f"<h1>{escape(title)}</h1><p>{escape(text(f'{key}.text', lang, **values))}</p>"
    return _page(title, body, status, lang)


def link_refused(reason: str, command: str = "绑定", lang: Lang = "zh") -> HTMLResponse:
    """A used, expired or forged link: say which, and that sending ``command`` gets a new one."""
    again = text("again", lang, command=command)
    status = {"used": 410, "expired": 410}.get(reason, 400)
    return notice(reason if reason in ("used", "expired") else "forged", status, lang, again=again)
