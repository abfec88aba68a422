"""Conflict screening: checks, meeting checks, related party transactions, the hospitality rule."""
