"""Wire-protocol adapters: parse and emit external message formats, translate them to domain objects."""
