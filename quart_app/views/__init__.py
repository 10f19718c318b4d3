"""Blueprints, one per audience: recipients (links), main users (auth, dashboard)."""
