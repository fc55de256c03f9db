"""Administrative divisions (GB/T 2260 / NBS codes), geometry and coordinate systems."""
