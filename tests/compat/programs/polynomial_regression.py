"""Fit a degree-4 polynomial with one Linear layer, as PyTorch's examples/regression."""
import numpy as np
import torch
import torch.nn.functional as F

POLY_DEGREE = 4


def make_features(x):
    """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x ** i for i in range(1, POLY_DEGREE + 1)], 1)


def main(seed=0, steps=300):
    rng = np.random.default_rng(seed)
    w_target = torch.tensor(rng.standard_normal((POLY_DEGREE, 1)), dtype=torch.float32) * 5
    b_target = torch.tensor(rng.standard_normal(1), dtype=torch.float32) * 5

    def get_batch(batch_size=32):
        random = torch.tensor(rng.standard_normal(batch_size), dtype=torch.float32)
        x = make_features(random)
        y = x.mm(w_target) + b_target.item()
        return x, y

    torch.manual_seed(seed)
    fc = torch.nn.Linear(w_target.size(0), 1)
    losses = []
    for _ in range(steps):
        batch_x, batch_y = get_batch()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():
            param.data.add_(-0.01 * param.grad)
        losses.append(loss)
    return losses
