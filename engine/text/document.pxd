# C types for the build's compilation of document.py (hatch_build.py): a sentence's word forms
# are looked up by id for every sentence the matcher runs over. The .py runs unchanged where
# it is not compiled.
cimport cython


@cython.locals(fid=Py_ssize_t)
cpdef list _forms_of(list forms, list fids)


@cython.locals(n=Py_ssize_t, i=Py_ssize_t, start=Py_ssize_t, k=Py_ssize_t, fid=Py_ssize_t,
               kind=int, space_kind=int, break_kind=int, terminal_kind=int, space=bint,
               in_space=bint, char=Py_UCS4, kinds=bytes, entry=tuple,
               fids=list, starts=list, terminals=list, breaks=list)
cpdef object _from_chunks(str text, object chunks, list table, list missing)
