import gc

from celery.signals import worker_init

from config.celery import freeze_shared_objects


def test_a_starting_worker_freezes_what_it_loaded_before_its_pool_forks():
    assert freeze_shared_objects in [receiver() for _key, receiver in worker_init.receivers]
    gc.unfreeze()
    try:
        freeze_shared_objects(sender=None)

        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
