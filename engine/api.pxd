# C types for the build's compilation of api.py (hatch_build.py): every rule a sentence runs
# goes through _run, called in C. The .py runs unchanged where it is not compiled.

cpdef list _run(tuple plan, object ctx, object sets)
