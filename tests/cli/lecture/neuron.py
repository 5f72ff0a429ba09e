# One neuron, o = tanh(x1*w1 + x2*w2 + b), in the lecture's statement forms: labelled Values, every
# intermediate named and labelled after a ';', then micrograd's backward() and a picture.
x1 = Value(2.0, label='x1')
x2 = Value(0.0, label='x2')
w1 = Value(-3.0, label='w1')
w2 = Value(1.0, label='w2')
b = Value(6.8813735870195432, label='b')   # makes n = 0.8814, where tanh is 1/sqrt(2)
x1w1 = x1*w1; x1w1.label = 'x1*w1'
x2w2 = x2*w2; x2w2.label = 'x2*w2'
x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
n = x1w1x2w2 + b; n.label = 'n'
o = n.tanh(); o.label = 'o'
o.backward()
draw_dot(o)
print(x1.grad, w1.grad, x2.grad, w2.grad)
