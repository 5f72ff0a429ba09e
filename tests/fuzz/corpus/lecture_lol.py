def lol():
  h = 0.001
  a = Value(2.0, label='a')
  L = (a * -3.0 + 10.0) * -2.0
  L1 = L.data
  a = Value(2.0 + h, label='a')
  L = (a * -3.0 + 10.0) * -2.0
  L2 = L.data
  print((L2 - L1)/h)

lol()
