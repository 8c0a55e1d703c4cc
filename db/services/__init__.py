"""Services: what a user does. Each public function takes the acting user, checks it through
the one policy (`db.access`) and owns its transaction (`db.engine.session_scope`, nestable, so
a service can call another inside one unit of work)."""
