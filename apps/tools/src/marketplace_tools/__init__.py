"""The applications around the services, kept out of `libs/` (contracts and plumbing only).

- `marketplace_tools.cli`: the `marketplace` command;
- `marketplace_tools.demo`: `make demo`, the seed scenario played through the HTTP APIs;
- `marketplace_tools.docs`: `make docs`, the AsyncAPI documents and the event JSON Schemas.
"""
