"""Deprecated alias of :mod:`lyaplearn.teacher.coursework`, kept for one release; importing it warns."""

from lyaplearn._moved import alias

alias(__spec__.name, __name__ == "__main__")
