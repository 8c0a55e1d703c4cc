"""Earshot's data layer: tables, engine, migrations and the service functions pages call.

This package is the only place that talks SQL. Every service function takes the acting
user (`db.access.Actor`) and refuses what that user may not see or change.
"""
