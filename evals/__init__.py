"""Scripted-scenario evals and benchmark runners."""
