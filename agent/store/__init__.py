"""Relational store: meetings, people, positions, transcript, audit."""
