"""Pure domain model in T/CEC 102 vocabulary: standard library only, no I/O.

Everything that enters the store is built through these types, so an invalid value
(unknown code, coordinates outside China, negative power) is refused once, here.
"""
