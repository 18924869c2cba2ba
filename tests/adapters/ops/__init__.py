"""Operator commands: backup/restore, doctor, health and metrics, packaging."""
