"""Rondetafel: the co-facilitator. No HTTP in here."""
