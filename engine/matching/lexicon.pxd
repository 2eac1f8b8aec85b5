# C types for the build's compilation of lexicon.py (hatch_build.py): _search walks the tries
# from every token of a sentence where an alias can begin. The .py runs unchanged where it is
# not compiled.
cimport cython


@cython.locals(n=Py_ssize_t, start=Py_ssize_t, end=Py_ssize_t, found=list)
cpdef list _search(dict root, object tokens, Py_ssize_t field, object starts,
                   list firsts=*, list fids=*, list words=*)
