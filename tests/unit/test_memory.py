import gc

from accord.memory import EVERY, collected_per_step


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it
        self.payload = bytearray(1000)


def nodes() -> int:
    return sum(type(o) is Node for o in gc.get_objects())


def test_the_cycles_of_every_step_are_freed_with_the_collector_paused():
    was_enabled = gc.isenabled()
    with collected_per_step() as collect:
        assert not gc.isenabled()
        for round_ in range(3):
            for step in range(1, EVERY + 1):
                Node()
                collect()
                # Freed at the latest after EVERY steps: never more than that many waiting.
                assert nodes() == (0 if step == EVERY else step), (round_, step)
    assert gc.isenabled() == was_enabled


def test_a_cycle_reaching_into_what_lived_longer_is_freed_too():
    with collected_per_step() as collect:
        elder = Node()
        for _ in range(2 * EVERY):  # survives collections: among the oldest now
            collect()
        elder.me = Node()  # a younger cycle hanging from it
        elder.me.elder = elder
        del elder
        for _ in range(EVERY):
            collect()
        assert nodes() == 0


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
