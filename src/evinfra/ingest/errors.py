"""Errors the use cases raise; each entry point maps them to its own answer (Ret code, HTTP status, CLI exit)."""


class OperatorExists(ValueError):
    pass


class UnknownOperator(LookupError):
    pass
