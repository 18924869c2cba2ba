"""Operator commands behind `mentorbot`: backup, restore and (later) doctor, health and metrics."""
