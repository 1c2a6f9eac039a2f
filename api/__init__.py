"""FastAPI edge: routes, auth, dependencies. No reasoning in here."""
