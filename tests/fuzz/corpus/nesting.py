x = 1.0
y = ((((x))))
z = y.relu().tanh().exp()
