"""Blueprints for people: recipients (links), main users (auth, dashboard, account, tokens)."""
