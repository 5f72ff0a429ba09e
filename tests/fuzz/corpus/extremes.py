a = 1e-300; b = 5e-324; c = 1e300
d = a * b + c / a
