"""Reasoning backends behind one interface."""
