x = 0.5
y = pow(x, 2) / sigmoid(x) - exp(log(abs(x)))
