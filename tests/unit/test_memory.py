import gc

from accord.memory import FULL_EVERY, collected_per_step


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it
        self.payload = bytearray(1000)


def test_each_step_frees_the_cycles_it_made_with_the_collector_paused():
    was_enabled = gc.isenabled()
    with collected_per_step() as collect:
        assert not gc.isenabled()
        for _ in range(2 * FULL_EVERY + 1):
            Node()
            collect()
            assert not any(type(o) is Node for o in gc.get_objects())
    assert gc.isenabled() == was_enabled


def test_a_cycle_reaching_into_what_lived_longer_is_freed_too():
    with collected_per_step() as collect:
        elder = Node()
        for _ in range(3):  # survives collections: no longer among the youngest
            collect()
        elder.me = Node()  # a younger cycle hanging from it
        elder.me.elder = elder
        del elder
        for _ in range(FULL_EVERY):
            collect()
        assert not any(type(o) is Node for o in gc.get_objects())


def test_what_existed_before_is_frozen_not_walked_and_thawed_after():
    gc.unfreeze()
    with collected_per_step():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_what_a_server_froze_before_stays_frozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collected_per_step():
            pass
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
