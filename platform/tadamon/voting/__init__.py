"""Voting: one organisation, one ballot."""
