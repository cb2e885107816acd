"""The compiled (numba) parse, always equal to ``parse_reference``.

:mod:`address.parse.parser` states the parser in plain Python over python-crfsuite
(``parse_reference``); this package computes exactly the same result for a whole batch of texts
in one call of compiled code. Call it through :mod:`.run` (``run``, ``tables``, ``Batch``); it
is split by stage, each module saying why its stage is shaped as it is:

- ``tables``: the arrays every stage reads, built from the crfsuite model and the gazetteer, as
  named tuples (``Features``, ``Transitions``, ``Names``, ``Units``, ``Labels``);
- ``terms``: Viterbi's fitted source terms (``tagger.viterbi.json``);
- ``hashing``: the hash tables of integer keys all look-ups use;
- ``prepass``: the gazetteer pre-pass (``gazetteer.Scanner``) and name look-ups;
- ``features``: the CRF's state scores;
- ``viterbi``: Viterbi with a bound that skips most sources;
- ``spans``: BIO → spans, ``parse``'s snap and room rules;
- ``resolve``: admin-code resolution (``address.parse.resolve`` on bit masks);
- ``order``: texts in code point order, sharing results and prefixes;
- ``batch``: the stages text after text (``parse_all``); ``run``: the Python side;
- ``cache``: numba's cache stamped with every module here, not only a function's own file
  (``stamp``);
- ``aot``: the entry points compiled ahead of time into an extension (``make kernels``);
  ``kernels``: those, when built for this code, else the jit functions; ``results``: what
  Python reads of their answers (``Batch``), without numba.

Stages take named tuples of arrays, and read their fields into locals once at the top (the
batch loop takes ``Arrays`` apart before its first text): numba counts a reference to every
array of a bundle whose field is read, so a field read inside a loop costs calls per pass (a
tenth of the batch's time when the split first did so).

Floating-point sums run in another order than crfsuite's; bench/parse_speed.py and the tests
compare every result with ``parse_reference``. Nothing here is imported until parsing starts,
so numba loads only then (and not at all with the ahead-of-time kernels).
"""
