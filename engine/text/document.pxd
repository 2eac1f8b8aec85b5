# C types for the build's compilation of document.py (hatch_build.py): a sentence's word forms
# are looked up by id for every sentence the matcher runs over. The .py runs unchanged where
# it is not compiled.
cimport cython


@cython.locals(fid=Py_ssize_t)
cpdef list _forms_of(list forms, list fids)
