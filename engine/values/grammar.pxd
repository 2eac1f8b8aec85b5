# C types for the build's compilation of grammar.py (hatch_build.py): the loops of _phrases
# visit every active token of every sentence a value grammar is asked of. The .py runs
# unchanged where it is not compiled.
cimport cython


@cython.locals(n=Py_ssize_t, size=Py_ssize_t, i=Py_ssize_t, j=Py_ssize_t, k=Py_ssize_t,
               at=Py_ssize_t, reach=Py_ssize_t, end=Py_ssize_t, stop=Py_ssize_t,
               first=Py_ssize_t, last=Py_ssize_t, s=Py_ssize_t, e=Py_ssize_t,
               extra=Py_ssize_t, wid=Py_ssize_t, max_space=Py_ssize_t, max_tokens=Py_ssize_t,
               max_chars=Py_ssize_t, offset=Py_ssize_t,
               marks=bytearray, word=str, window=str, probe=str)
cpdef list _phrases(dict known, object word_info, list active, list words, list offsets,
                    str text, dict parsed, object parse, dict probes,
                    list ids=*, list memo=*)
