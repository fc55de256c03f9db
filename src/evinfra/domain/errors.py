"""The one validation error every layer raises for a bad domain value."""

from __future__ import annotations


class DomainValidationError(ValueError):
    """A value that the domain refuses, with the field, the value and what is allowed.

    Callers map it without parsing text: the T/CEC hub to Ret 4004, the API to HTTP 422,
    the CLI to a red line. ``message`` is zh-CN (our users' language); ``message_en`` is the
    English switch.
    """

    def __init__(self, field: str, value: object, allowed: str, allowed_en: str | None = None) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.allowed_en = allowed_en or allowed
        super().__init__(self.message)

    def __reduce__(self) -> tuple[type[DomainValidationError], tuple[str, object, str, str]]:
        return type(self), (self.field, self.value, self.allowed, self.allowed_en)  # crosses processes

    @property
    def message(self) -> str:
        return f"字段 {self.field} 的值 {_shown(self.value)} 无效：允许 {self.allowed}"

    @property
    def message_en(self) -> str:
        return f"invalid value {_shown(self.value)} for field {self.field}: allowed {self.allowed_en}"

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "value": _shown(self.value),
            "allowed": self.allowed,
            "message": self.message,
            "message_en": self.message_en,
        }


_SHOWN_CHARS = 60


def _shown(value: object) -> str:
    """The refused value as messages quote it: a sender's 10,000-character name should not come back whole."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"
