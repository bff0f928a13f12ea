"""Seeded discrete-event simulators that run the production policies of cti.domain against a
model, so that an algorithm is proven without phones. Never imported by the server."""
