"""A finished step's freed memory goes back to the machine (salesops.memory.give_back): the
daily job is one long-lived process that starts the dbt build beside it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from salesops.memory import _malloc_trim

PROGRAM = textwrap.dedent(
    """
    import os, sys
    from salesops.memory import give_back

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    # 300 MB in 1 KB blocks: above Python's small-object allocator, below glibc's mmap
    # threshold, so the C heap holds them; the last one keeps the heap's top in use
    import gc
    gc.disable()  # only give_back collects
    blocks = [bytearray(1024) for _ in range(300_000)]
    if sys.argv[1] == "cycle":  # freed only by a garbage collection: the list holds itself
        blocks.append(blocks)
        for _ in range(3):  # the cycle has survived collections: the oldest generation
            gc.collect()
    keep = bytearray(1024)
    before = rss()
    del blocks
    freed = rss()
    if sys.argv[1] == "give_back":
        give_back()
    if sys.argv[1] == "cycle":
        give_back(everything=True)
    after = rss()
    print(before, freed, after)
    """
)


def run(mode: str) -> tuple[int, int, int]:
    done = subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, freed, after = map(int, done.stdout.split())
    return before, freed, after


@pytest.mark.skipif(_malloc_trim() is None, reason="glibc's malloc_trim is what hands the heap back")
def test_freed_heap_memory_is_handed_back():
    before, freed, kept = run("keep")
    assert freed > before - 100 * 2**20, "freed blocks stayed with the process (the case give_back is for)"
    assert kept > before - 100 * 2**20
    before, freed, after = run("give_back")
    assert after < before - 200 * 2**20


@pytest.mark.skipif(_malloc_trim() is None, reason="glibc's malloc_trim is what hands the heap back")
def test_the_full_give_back_before_the_dbt_build_frees_old_cycles_too():
    before, freed, after = run("cycle")
    assert freed > before - 100 * 2**20, "the cycle was freed without a collection"
    assert after < before - 200 * 2**20
