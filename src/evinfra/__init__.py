"""evinfra: the provincial EV-charging infrastructure platform (supervision, planning, T/CEC 102 data hub)."""

__version__ = "0.1.0"
