"""Use cases that bring data in: operators, stations, status, orders. Each commits before it returns."""
