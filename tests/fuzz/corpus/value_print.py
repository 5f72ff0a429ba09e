a = Value(1.0, label='a')
print(f'{a.data:.4f}')
b = a * a
b.backward()
