"""Starting to serve settles the garbage collector for large responses."""

from __future__ import annotations

import gc

from gql.server.app import GC_YOUNG_THRESHOLD, create_app, tune_garbage_collection


async def test_starting_the_app_freezes_the_startup_heap_and_spaces_young_collections(settings, db):
    tune_garbage_collection.cache_clear()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    app = create_app(settings, engine=db.engine)
    async with app.router.lifespan_context(app):
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, 10, 10)
        assert gc.get_freeze_count() > 10_000
        frozen = gc.get_freeze_count()
    again = create_app(settings, engine=db.engine)
    async with again.router.lifespan_context(again):
        assert gc.get_freeze_count() <= frozen  # once per process: nothing newly frozen
