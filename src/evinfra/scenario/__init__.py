"""Scenario tooling: an independent T/CEC operator simulator that exercises the platform over real HTTP."""
