"""A tour of chainrule: what `make demo` runs.

Reverse mode on a small graph, higher derivatives, in-place safety, and a linear model
trained with nothing but tensors and .backward().
"""
import time

import chainrule as cr


def section(title):
    print(f"\n== {title} " + "=" * (60 - len(title)))


section("gradients of loss = sum((x + y) * x)")
x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="x")
y = cr.tensor([[2.0, 0.0], [1.0, 3.0]], requires_grad=True, name="y")
loss = ((x + y) * x).sum()
loss.backward()
print("loss   =", loss)
print("x.grad =", x.grad, " (2x + y)")
print("y.grad =", y.grad, " (x)")

section("higher derivatives: d^n/dx^n of x^3 at x = 2")
t = cr.tensor(2.0, requires_grad=True)
f = t ** 3
for order in range(1, 4):
    (f,) = cr.autograd.grad(f, t, create_graph=order < 3)
    print(f"order {order}: {f.item():g}")

section("in-place changes are tracked")
a = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
h = a * 1
h[0] *= 5  # writes through the view into h, and into the graph
h.sum().backward()
print("a.grad after h[0] *= 5:", a.grad)
h = a * 1
z = h * h
h.add_(1)
try:
    z.sum().backward()
except RuntimeError as err:
    print("modifying a saved value is caught:", str(err).split(":")[0], "...")

section("fitting y = 3x - 1 + noise with plain gradient descent")
cr.manual_seed(0)
xs = cr.randn(256, 1)
ys = 3 * xs - 1 + 0.1 * cr.randn(256, 1)
w = cr.zeros(1, 1, requires_grad=True)
b = cr.zeros(1, requires_grad=True)
start = time.perf_counter()
for step in range(200):
    pred = xs @ w + b
    mse = ((pred - ys) ** 2).mean()
    w.zero_grad()
    b.zero_grad()
    mse.backward()
    with cr.no_grad():
        w -= 0.1 * w.grad
        b -= 0.1 * b.grad
    if step % 50 == 0:
        print(f"step {step:3d}  mse {mse.item():.4f}")
print(f"w = {w.item():.3f}, b = {b.item():.3f}  ({time.perf_counter() - start:.2f}s)")

section("the graph of one step, as Graphviz DOT")
dot = cr.draw_graph(((xs @ w + b - ys) ** 2).mean(), "demo_graph.dot")
print(f"wrote demo_graph.dot ({len(dot.splitlines())} lines); render: dot -Tpng demo_graph.dot")
