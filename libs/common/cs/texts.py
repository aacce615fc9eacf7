"""What followers read from customer service (Chinese, written for people)."""

from __future__ import annotations

QUEUED = "已为您转接人工客服，您前面还有 {ahead} 位，请稍候。"
QUEUED_FIRST = "已为您转接人工客服，马上为您接入，请稍候。"
QUEUED_NEXT = "已为您转接人工客服，您是下一位，请稍候。"
NEXT = "您是下一位，客服马上为您服务，请稍候。"
STILL_QUEUED = "您正在排队，前面还有 {ahead} 位，请稍候。"
ASSIGNED = "{agent}为您服务，请问有什么可以帮您？回复“{end}”可结束本次服务。"
OFF_HOURS = "您好，现在是非服务时间，人工客服的服务时间为{hours}。"
LEAVE_MESSAGE = "如需留言，请回复“{keyword} 您的问题”，我们会在下一个服务时段联系您。"
TICKET_SAVED = "您的留言已收到，我们会在下一个服务时段尽快联系您。"
TICKET_EMPTY = "请在“{keyword}”后写下您的问题，例如：{keyword} 我想咨询基金定投。"
CLOSED = {
    "customer": "本次人工服务已结束，感谢您的咨询。",
    "agent": "客服已结束本次服务，感谢您的咨询。",
    "supervisor": "客服已结束本次服务，感谢您的咨询。",
    "idle": "由于您长时间未回复，本次人工服务已结束。如需帮助，请再次回复“人工”。",
}
RATING_ASK = "请为本次服务评分：回复 1～5 的数字（5 为非常满意）。"
RATING_THANKS = "感谢您的评价，祝您生活愉快！"
TRANSFERRED = "正在为您转接其他客服，请稍候。"
