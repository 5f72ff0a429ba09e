"""A debug print left in backward: the engine is right, and its prints must not disturb the check."""
from correct_engine import Value as _Correct


class Value(_Correct):
    def backward(self):
        print("backward from", self)  # the mistake, harmless: it prints on every call
        super().backward()
        print("{'done': True}")  # even a line that looks like a JSON object
