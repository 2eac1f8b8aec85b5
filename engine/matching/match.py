"""The VM's result type, in a module of its own: vm.py and the compiled _vm.pyx both make it,
and _vm must not import vm.py, which imports _vm (an import cycle would leave vm.py on its
pure-Python loops whenever _vm happened to be imported first)."""

from dataclasses import dataclass


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ is 3x slower, per match
class Match:
    """One match: its tokens start..end-1, and per capture name the spans it took."""

    start: int
    end: int
    captures: dict[str, list[tuple[int, int]]]
