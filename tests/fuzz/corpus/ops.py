a = -4.0; b = 2.0
c = a * b + b**3
d = c.relu() + (a - b).tanh()
