"""T/CEC 102 (中电联互联互通) interconnection protocol: envelopes, crypto, messages, translation to the domain."""
