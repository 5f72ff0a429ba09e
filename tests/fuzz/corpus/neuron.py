# The neuron from micrograd's lecture ("The spelled-out intro to neural networks and backpropagation").
x1 = 2.0; x2 = 0.0          # inputs
w1 = -3.0; w2 = 1.0         # weights
b = 6.8813735870195432      # bias, chosen so the output is a round number
x1w1 = x1 * w1
x2w2 = x2 * w2
n = x1w1 + x2w2 + b
o = n.tanh()
