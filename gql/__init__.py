"""Concierge's GraphQL layer: Strawberry schema, dataloaders and the ASGI app."""
