"""Train a small CNN on the 8x8 handwritten digits bundled with scikit-learn.

What `make demo` runs: Conv2d, MaxPool2d, Linear, CrossEntropyLoss, Adam and a DataLoader;
a tqdm progress bar; the held-out accuracy; a loss/accuracy plot; the model saved,
re-loaded and re-evaluated; the graph of one training step drawn.

With ``--ddp``, data-parallel over MPI (docs/distributed.md): each rank trains on its share
of every epoch (DistributedSampler) and DistributedDataParallel averages the gradients;
rank 0 reports, plots and saves::

    mpirun -n 2 python examples/train_digits.py --ddp
"""
import argparse
import os
import sys
import time

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset, load_digits

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output")
EPOCHS = 15


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 2 x 2
        nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10))


@cr.no_grad()
def accuracy(model, images, labels):
    model.eval()
    predictions = model(images).argmax(dim=1).numpy()
    model.train()
    return float((predictions == labels.numpy()).mean())


def main(argv=None):
    from tqdm import tqdm

    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--ddp", action="store_true",
                      help="data-parallel over MPI: launch with mpirun -n N")
    args.add_argument("--epochs", type=int, default=EPOCHS)
    args = args.parse_args([] if argv is None and __name__ != "__main__" else argv)
    epochs, rank, world = args.epochs, 0, 1
    if args.ddp:
        import chainrule.distributed as dist
        from chainrule.data.distributed import DistributedSampler
        from chainrule.nn.parallel import DistributedDataParallel
        dist.init_process_group(backend="mpi")
        rank, world = dist.get_rank(), dist.get_world_size()
    say = print if rank == 0 else (lambda *a, **k: None)

    os.makedirs(OUT, exist_ok=True)
    cr.manual_seed(0)
    images, labels = load_digits()
    order = np.random.default_rng(0).permutation(len(images))
    test_idx, train_idx = order[:360], order[360:]
    x_train, y_train = cr.from_numpy(images[train_idx]), cr.from_numpy(labels[train_idx])
    x_test, y_test = cr.from_numpy(images[test_idx]), cr.from_numpy(labels[test_idx])
    train_set = TensorDataset(x_train, y_train)
    sampler = None
    if args.ddp:  # each rank reads its share; the global batch stays 32
        sampler = DistributedSampler(train_set, seed=0)
        loader = DataLoader(train_set, batch_size=max(1, 32 // world), sampler=sampler)
    else:
        loader = DataLoader(train_set, batch_size=32, shuffle=True)

    net = make_model()
    model = DistributedDataParallel(net) if args.ddp else net  # net: the trained weights
    loss_fn = nn.CrossEntropyLoss()
    optimizer = cr.optim.Adam(model.parameters(), lr=2e-3)
    history = {"loss": [], "accuracy": []}
    start = time.perf_counter()
    for epoch in range(epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)  # a new order each epoch, the same on every rank
        total, count = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1:2d}/{epochs}", leave=False, file=sys.stdout,
                   disable=not sys.stdout.isatty() or rank != 0)
        for xb, yb in bar:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            count += len(yb)
            bar.set_postfix(loss=f"{loss.item():.3f}")
        history["loss"].append(total / count)
        history["accuracy"].append(accuracy(net, x_test, y_test))
        say(f"epoch {epoch + 1:2d}  train loss {history['loss'][-1]:.4f}  "
              f"test accuracy {history['accuracy'][-1]:.4f}")
    elapsed = time.perf_counter() - start
    test_acc = history["accuracy"][-1]
    say(f"\ntest accuracy {test_acc:.4f} on {len(test_idx)} held-out digits, "
        f"trained in {elapsed:.1f}s" + (f" on {world} ranks" if args.ddp else ""))
    if rank != 0:  # the other ranks hold the same weights: rank 0 alone writes the files
        return test_acc

    plot_path = os.path.join(OUT, "digits_training.png")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = range(1, epochs + 1)
    ax1.plot(epochs, history["loss"], marker="o")
    ax1.set(title="training loss", xlabel="epoch", ylabel="cross-entropy")
    ax2.plot(epochs, history["accuracy"], marker="o", color="tab:green")
    ax2.set(title="held-out accuracy", xlabel="epoch", ylabel="accuracy", ylim=(0.5, 1.0))
    fig.tight_layout()
    fig.savefig(plot_path, dpi=100)
    print(f"plot: {os.path.relpath(plot_path)}")

    weights_path = os.path.join(OUT, "digits_cnn.safetensors")
    cr.save(net.state_dict(), weights_path)  # without DDP's "module." prefix
    reloaded = make_model()
    reloaded.load_state_dict(cr.load(weights_path))
    again = accuracy(reloaded, x_test, y_test)
    print(f"saved to {os.path.relpath(weights_path)}; reloaded model accuracy {again:.4f}")
    assert again == test_acc, "the reloaded model must match the trained one"

    graph_path = os.path.join(OUT, "digits_step.dot")
    cr.draw_graph(loss_fn(net(x_train[:4]), y_train[:4]), graph_path)
    print(f"graph of one step: {os.path.relpath(graph_path)} (render it with Graphviz: dot -Tpng)")
    return test_acc


if __name__ == "__main__":
    main()
