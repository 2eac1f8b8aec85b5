"""Batch extraction on every core: documents go to worker processes in small chunks, results
come back in input order, and only a bounded window of chunks is in flight, so memory does not
grow with the corpus.

Workers are forked where the platform allows it, inheriting the loaded engine (and spaCy) for
free; elsewhere they are spawned and receive the pickled engine once.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from engine.api import Engine

# A task is a chunk of documents: up to CHUNK of them, or fewer where they hold CHUNK_CHARS
# of text. Each task costs the parent a round trip (pickling, a pipe, a result to unpickle),
# paid on the cores the workers need: over FA-KES ten times over, chunks of 8 short news
# articles cost it 0.4-0.9 s more CPU than these (fifteenth session). The text bound keeps
# what is in flight small whatever the documents' size.
CHUNK = 64
CHUNK_CHARS = 64_000
WINDOW = 4  # chunks in flight per worker

_ENGINE: Engine | None = None


def _init(engine: Engine | None) -> None:
    global _ENGINE
    if engine is not None:
        _ENGINE = engine


def _run_chunk(docs: list, prepare: Callable | None, start: int) -> list:
    results = _ENGINE.extract_many(docs, start)
    return [prepare(r) for r in results] if prepare is not None else list(results)


def _chunks(docs: Iterable, size: int, chars: int) -> Iterator[list]:
    """The documents in lists of `size`, or fewer where those hold `chars` of text."""
    chunk, held = [], 0
    for doc in docs:
        chunk.append(doc)
        held += _text_size(doc)
        if len(chunk) >= size or held >= chars:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


def _text_size(doc) -> int:
    """The length of a document's text, in any form extract_many reads (0 if it has none)."""
    if isinstance(doc, dict):
        text = doc.get("text")
    elif isinstance(doc, (tuple, list)):
        text = doc[1] if len(doc) > 1 else None
    else:
        text = getattr(doc, "text", doc)
    return len(text) if isinstance(text, str) else 0


def extract_parallel(engine: Engine, docs: Iterable, jobs: int,
                     prepare: Callable | None = None) -> Iterator:
    """Like Engine.extract_many, in `jobs` processes; results in input order, streaming.
    `prepare` (picklable), if given, is applied to each DocumentResult where it was made, and
    its value is yielded instead (outputs.render: the output lines, written by the workers)."""
    if jobs <= 1:
        for result in engine.extract_many(docs):
            yield prepare(result) if prepare is not None else result
        return
    global _ENGINE
    if "fork" in mp.get_all_start_methods():
        _ENGINE = engine  # forked workers inherit it
        context, initargs = mp.get_context("fork"), (None,)
    else:
        context, initargs = mp.get_context("spawn"), (engine,)
    # The loaded engine and spaCy are some 150,000 objects that live as long as the run: out
    # of the cyclic collector's sight (the Python docs' advice before a fork), no collection
    # walks them, in the parent or in a worker, where walking them also wrote to their pages
    # and so copied the memory the workers share with the parent.
    gc.freeze()
    try:
        yield from _in_pool(docs, jobs, prepare, context, initargs)
    finally:
        gc.unfreeze()


def _in_pool(docs: Iterable, jobs: int, prepare: Callable | None, context,
             initargs: tuple) -> Iterator:
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_init,
                             initargs=initargs) as pool:
        pending: deque = deque()
        start = 0  # the chunk's place in the stream: documents without ids are doc<n>
        for chunk in _chunks(docs, CHUNK, CHUNK_CHARS):
            pending.append(pool.submit(_run_chunk, chunk, prepare, start))
            start += len(chunk)
            if len(pending) >= jobs * WINDOW:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
