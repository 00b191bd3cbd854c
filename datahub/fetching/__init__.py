"""Fetching facts one enterprise or one person at a time (pipeline.fetch_facts and its kin)."""
