"""Queries: reads that take the caller's session, open no transaction and know no user. A
service calls them after it has checked the actor through `db.access`; jobs call them for
rows they already hold."""
