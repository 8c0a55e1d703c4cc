"""The read-only export API mounted beside the app (server.py): routes and OpenAPI."""
