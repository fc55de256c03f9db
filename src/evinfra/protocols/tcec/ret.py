"""T/CEC 102.4 response codes (Ret) and the codec's error type."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType


class Ret(IntEnum):
    """Ret values of the T/CEC 102.4 response envelope; the value is what goes on the wire."""

    BUSY = -1
    OK = 0
    BAD_SIG = 4001
    BAD_TOKEN = 4002
    BAD_ENVELOPE = 4003
    BAD_BUSINESS = 4004
    SYSTEM_ERROR = 500

    @property
    def message(self) -> str:
        """The standard's zh-CN wording, usable as the response Msg."""
        return RET_MESSAGES[self]


RET_MESSAGES: Mapping[Ret, str] = MappingProxyType(
    {
        Ret.BUSY: "系统繁忙，此时请求方稍后重试",
        Ret.OK: "请求成功",
        Ret.BAD_SIG: "签名错误",
        Ret.BAD_TOKEN: "Token错误",
        Ret.BAD_ENVELOPE: "POST参数不合法，缺少必须的示例：OperatorID,sig,TimeStamp,Data,Seq五个参数",
        Ret.BAD_BUSINESS: "请求的业务参数不合法，各接口定义自己的必须参数",
        Ret.SYSTEM_ERROR: "系统错误",
    }
)


class TcecError(Exception):
    """A message that must be answered with ``ret`` and the specific zh-CN ``msg``.

    ``operator_known`` tells the receiver whether the caller's keys were already identified when the
    error arose, i.e. whether the error can be answered with a signed envelope (true) or only with a
    bare HTTP error (false), as in T/CEC reference §7/§8.
    """

    ret: Ret
    msg: str
    operator_known: bool

    def __init__(self, ret: Ret, msg: str | None = None, *, operator_known: bool = False) -> None:
        self.ret = ret
        self.msg = ret.message if msg is None else msg
        self.operator_known = operator_known
        super().__init__(ret, self.msg)

    def __str__(self) -> str:
        return f"{int(self.ret)} {self.msg}"
