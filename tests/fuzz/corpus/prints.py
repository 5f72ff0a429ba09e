%matplotlib inline
x = Value(0.5, label='x'); y = x.tanh()
print(f'{y.data:.4f} {y.data!r:>20} {{}} {x.label:*^7}', 2**10, 7/2, sep=' | ', end='\n')
print('%5.2f %d %s %r' % (y.data, 3, x.label, x.label), 'a' + 'b')
print([1, 2], round(y.data))
print(y, f'{y}')
y.backward()
print(x.grad)
