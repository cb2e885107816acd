"""The 12345 hotline: tickets, masking, routing, responsibility rules, hot spots."""
