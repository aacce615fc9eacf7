"""Every stable error code and what it says, in Chinese and English; Chinese for field errors."""

from __future__ import annotations

from typing import NamedTuple


class Text(NamedTuple):
    """A message in both languages."""

    zh: str
    en: str


# Every stable error code and what it says. Codes are a contract with API clients: add, never
# rename. Domain errors raised with a code not listed here keep their own (English) message.
CATALOGUE: dict[str, Text] = {
    # Any HTTP service.
    "bad_request": Text("请求无效", "The request is invalid."),
    "not_found": Text("资源不存在", "Not found."),
    "method_not_allowed": Text("不支持该请求方法", "Method not allowed."),
    "validation_error": Text("请求参数无效", "The request is invalid."),
    "malformed_body": Text(
        "请求体无法解析（须为 UTF-8 编码的合法 JSON）",
        "The body cannot be read (it must be valid JSON in UTF-8).",
    ),
    "body_too_large": Text("请求体过大", "The body is too large."),
    "unsupported_media_type": Text("不支持的内容类型", "Unsupported content type."),
    "not_authenticated": Text("未登录或令牌无效", "Not authenticated."),
    "permission_denied": Text("没有执行此操作的权限", "Permission denied."),
    "conflict": Text(
        "与现有数据冲突（重复或仍在使用）", "The change conflicts with existing data."
    ),
    "too_many_requests": Text("请求过于频繁，请稍后再试", "Too many requests; retry later."),
    "internal_error": Text("服务器内部错误", "Internal server error."),
    "storage_unavailable": Text("数据库暂不可用，请重试", "The database is unavailable; retry."),
    "config_unavailable": Text("配置暂不可用，请重试", "Configuration is unavailable; retry."),
    # Admin API.
    "invalid_credentials": Text("用户名或密码错误", "Wrong username or password."),
    "account_locked": Text("账号已临时锁定，请稍后再试", "The account is locked for a while."),
    "invalid_state": Text("当前状态不允许此操作", "Not allowed in the current state."),
    "quota_exceeded": Text("群发额度已用完", "The mass-send quota is used up."),
    "limit_exceeded": Text("内容超出限制", "The content exceeds a limit."),
    "wechat_error": Text("微信接口拒绝了请求", "WeChat refused the request."),
    "wechat_unavailable": Text("无法连接微信接口", "The WeChat API is unreachable."),
    "window_expired": Text(
        "客户最后一条消息已超过 48 小时，微信不允许再发送客服消息",
        "The customer's last message is over 48 hours old; WeChat refuses the send.",
    ),
    "window_quota_used": Text(
        "客户上次发言后的可发送条数已用完，需等客户再次发言",
        "The sends allowed since the customer's last message are used up.",
    ),
    "not_an_agent": Text("您还不是客服坐席", "You have no customer-service seat."),
    # Business-system notification API (gateway).
    "missing_credentials": Text("缺少签名认证信息", "Missing signature credentials."),
    "invalid_signature": Text("系统未知或签名错误", "Unknown system or wrong signature."),
    "invalid_timestamp": Text("时间戳无效", "The timestamp is invalid."),
    "stale_timestamp": Text("时间戳超出允许范围", "The timestamp is outside the allowed window."),
    "unknown_account": Text("公众号不存在或未启用", "No such enabled account."),
    "unknown_event_type": Text("提醒类型不存在", "No such reminder type."),
    "unknown_customer": Text("客户不存在", "No such customer."),
    "idempotency_conflict": Text(
        "幂等键已用于其他请求", "The idempotency key was used for another request."
    ),
    "no_channel": Text("没有可用的发送渠道", "No usable channel."),
    "invalid_request": Text("该条通知无效", "The item is invalid."),
    "fallback_not_allowed": Text("该提醒类型不允许短信兜底", "SMS fallback not allowed."),
    "no_fallback_phone": Text("没有可用于短信兜底的手机号", "No phone to fall back to."),
    "missing_data_fields": Text("模板数据缺少字段", "Template data fields are missing."),
    "batch_too_large": Text("批量条数超出上限", "The batch has too many items."),
    "file_too_large": Text("文件过大", "The file is too large."),
    "bad_encoding": Text("文件须为 UTF-8 或 GB18030 文本", "The file is not UTF-8/GB18030."),
    "malformed_csv": Text("CSV 格式错误", "The file is not valid CSV."),
    "empty_file": Text("文件没有数据行", "The file has no rows."),
    "duplicate_columns": Text("CSV 列名重复", "Columns appear twice."),
    "missing_recipient_columns": Text("CSV 缺少收件人列", "Recipient columns are missing."),
    "too_many_rows": Text("CSV 行数超出上限", "The file has too many rows."),
    "wrong_column_count": Text("CSV 某行列数不对", "A row has the wrong number of columns."),
    "publish_failed": Text("已保存但尚未入队，请用相同幂等键重试", "Stored but not queued; retry."),
    # WeChat callback endpoint.
    "missing_signature": Text("缺少 signature、timestamp 或 nonce", "Missing signature fields."),
    "bad_signature": Text("签名校验失败", "The signature does not match."),
    "bad_timestamp": Text("时间戳不是数字", "The timestamp is not a number."),
    "missing_echostr": Text("缺少 echostr", "echostr is required."),
    "malformed_xml": Text("XML 格式错误", "Malformed XML."),
    "malformed_message": Text("消息字段缺失或无效", "Missing or invalid message fields."),
    "encryption_required": Text("该公众号为安全模式，须加密", "The account requires encryption."),
    "encryption_not_configured": Text("该公众号未配置 EncodingAESKey", "No EncodingAESKey set."),
    "missing_encrypt": Text("缺少 Encrypt 或 msg_signature", "Encrypt and msg_signature needed."),
    "bad_msg_signature": Text("msg_signature 校验失败", "msg_signature does not match."),
    "appid_mismatch": Text("解密后的 AppID 不属于该公众号", "The decrypted AppID is not ours."),
    "decryption_failed": Text("无法解密消息", "The message cannot be decrypted."),
}

# Chinese for pydantic's field error types; ``{name}`` takes the error's context values.
FIELD_MESSAGES_ZH: dict[str, str] = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为字符串",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符合要求（{pattern}）",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为布尔值",
    "bool_parsing": "应为布尔值",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应大于或等于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应小于或等于 {le}",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "list_type": "应为数组",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "datetime_parsing": "日期时间格式无效",
    "datetime_from_date_parsing": "日期时间格式无效",
    "datetime_type": "应为日期时间",
    "date_parsing": "日期格式无效",
    "uuid_parsing": "UUID 格式无效",
    "url_parsing": "URL 格式无效",
    "json_invalid": "JSON 格式错误：{error}",
    "value_error": "取值无效：{error}",
    "utf8": "须为 UTF-8 编码",
}
