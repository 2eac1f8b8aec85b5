# C types for the build's compilation of api.py (hatch_build.py): the rules a sentence runs
# go through _run (all but those with spaCy's every-span semantics), called in C. The .py runs
# unchanged where it is not compiled.

cpdef list _run(tuple plan, object ctx, object sets)
