"""Broken on purpose: __rsub__ computes self - other, so `2 - x` gives x - 2."""
from correct_engine import Value as _Correct


class Value(_Correct):
    def __rsub__(self, other):
        return self - other  # the mistake: a reflected operator's operands are (self=x, other=2)
