"""Broken on purpose: -x returns a plain float, so nothing flows back through a negation."""
from correct_engine import Value as _Correct


class Value(_Correct):
    def __neg__(self):
        return -self.data  # the mistake: a float, not a Value
