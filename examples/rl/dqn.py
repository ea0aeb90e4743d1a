"""Deep Q-learning (DQN) on CartPole-v1, written as with PyTorch.

Double DQN: the online network picks the next action, a target network evaluates it (under
``cr.no_grad()``, so the targets are constants); the target network follows the online one by
soft updates (Polyak averaging). An experience-replay ring buffer in NumPy, epsilon-greedy
exploration decayed exponentially, the Huber loss, gradient clipping, Adam with a decaying
learning rate (1e-3 to 1e-5: a small step once the agent is good keeps it from unlearning).
Training stops once the last 100 training returns average 475, or once a greedy evaluation
(100 fresh episodes, no exploration) averages 475 (``--no-eval`` keeps only the first test).

    python examples/rl/dqn.py --seed 0 --plot dqn.png
"""
from __future__ import annotations

import math
import os
import sys

import numpy as np

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (Returns, greedy_evaluation, main, make_env, run_episodes,  # noqa: E402
                    seed_everything)

__all__ = ["QNetwork", "ReplayBuffer", "epsilon", "soft_update", "train"]

# Seeds 0-4 are solved by a greedy evaluation; the training average reaches 475 on 0, 2, 4
# (README.md). With LR_END = 1e-4 seeds 0 and 2 collapsed before their training average did.
HIDDEN = 128
GAMMA = 0.99
LR, LR_END, LR_DECAY_STEPS = 1e-3, 1e-5, 60_000   # linear decay, then constant
BATCH = 128
BUFFER = 100_000
WARMUP = 1_000           # random steps before learning starts
EPS_START, EPS_END, EPS_DECAY_STEPS = 1.0, 0.01, 2_500  # exponential, time constant in steps
TAU = 0.005              # soft target update: target <- (1 - TAU) target + TAU online
MAX_GRAD_NORM = 10.0
DOUBLE = True
EPISODES = 1_500


def __dir__():
    return __all__


class QNetwork(nn.Module):
    """Observation -> one Q-value per action."""

    def __init__(self, n_obs: int, n_actions: int, hidden: int = HIDDEN):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_obs, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, n_actions))

    def forward(self, x):
        return self.net(x)


class ReplayBuffer:
    """A fixed-size ring buffer of transitions, sampled uniformly."""

    def __init__(self, capacity: int, n_obs: int, rng: np.random.Generator):
        self.obs = np.zeros((capacity, n_obs), dtype=np.float32)
        self.next_obs = np.zeros((capacity, n_obs), dtype=np.float32)
        self.action = np.zeros(capacity, dtype=np.int64)
        self.reward = np.zeros(capacity, dtype=np.float32)
        self.done = np.zeros(capacity, dtype=np.float32)
        self.capacity, self.size, self.pos, self.rng = capacity, 0, 0, rng

    def add(self, obs, action, reward, next_obs, terminated) -> None:
        i = self.pos
        self.obs[i], self.action[i], self.reward[i] = obs, action, reward
        self.next_obs[i], self.done[i] = next_obs, terminated
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def __len__(self) -> int:
        return self.size

    def sample(self, batch: int):
        idx = self.rng.integers(0, self.size, size=batch)
        return (cr.from_numpy(self.obs[idx]), cr.from_numpy(self.action[idx]),
                cr.from_numpy(self.reward[idx]), cr.from_numpy(self.next_obs[idx]),
                cr.from_numpy(self.done[idx]))


def epsilon(step: int, decay_steps: int = EPS_DECAY_STEPS) -> float:
    """Exponential decay from EPS_START towards EPS_END, time constant ``decay_steps``."""
    return EPS_END + (EPS_START - EPS_END) * math.exp(-step / decay_steps)


def soft_update(target: nn.Module, online: nn.Module, tau: float = TAU) -> None:
    """``target <- (1 - tau) * target + tau * online``, parameter by parameter, in place."""
    with cr.no_grad():
        for t, p in zip(target.parameters(), online.parameters()):
            t.mul_(1.0 - tau).add_(p, alpha=tau)


def train(seed: int = 0, episodes: int = EPISODES, *, progress: bool = True,
          warmup: int = WARMUP, eps_decay_steps: int = EPS_DECAY_STEPS,
          evaluate: bool = True, stop_on_evaluation: bool = True) -> Returns:
    """Train a DQN agent; return each episode's return (a ``common.Returns`` list).

    Training stops once the last 100 training returns average 475 or, with ``evaluate``, once
    a greedy evaluation (100 fresh episodes, no exploration) averages 475; every evaluation
    is in ``returns.evaluations``. The same ``seed`` gives the same returns. ``warmup`` and
    ``eps_decay_steps`` are there so that a short run (a smoke test) learns and acts greedily.

    >>> returns = train(seed=0, episodes=3, progress=False)  # doctest: +SKIP
    """
    rng = seed_everything(seed)
    env = make_env(seed)
    n_obs, n_actions = env.observation_space.shape[0], env.action_space.n

    q_net = QNetwork(n_obs, n_actions)
    target_net = QNetwork(n_obs, n_actions)
    target_net.load_state_dict(q_net.state_dict())
    target_net.eval()
    optimizer = cr.optim.Adam(q_net.parameters(), lr=LR)
    # Per learning step: a smaller step once the agent is good keeps it from unlearning.
    scheduler = cr.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: max(LR_END / LR, 1.0 - (1.0 - LR_END / LR) * t / LR_DECAY_STEPS))
    buffer = ReplayBuffer(BUFFER, n_obs, rng)
    step = 0

    def learn() -> None:
        obs, action, reward, next_obs, done = buffer.sample(BATCH)
        q = q_net(obs).gather(1, action.unsqueeze(1)).squeeze(1)
        with cr.no_grad():
            if DOUBLE:  # the online network chooses, the target network evaluates
                best = q_net(next_obs).argmax(dim=1, keepdim=True)
                next_q = target_net(next_obs).gather(1, best).squeeze(1)
            else:
                next_q = target_net(next_obs).max(dim=1).values
            target = reward + GAMMA * (1.0 - done) * next_q
        loss = F.smooth_l1_loss(q, target)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(q_net.parameters(), MAX_GRAD_NORM)
        optimizer.step()
        scheduler.step()
        soft_update(target_net, q_net, TAU)

    def play_episode(i: int) -> float:
        nonlocal step
        obs, _ = env.reset(seed=seed) if i == 0 else env.reset()
        total, finished = 0.0, False
        while not finished:
            if step < warmup or rng.random() < epsilon(step, eps_decay_steps):
                action = int(env.action_space.sample())
            else:
                with cr.no_grad():
                    action = int(q_net(cr.from_numpy(obs).unsqueeze(0)).argmax(dim=1).item())
            next_obs, reward, terminated, truncated, _ = env.step(action)
            # A time-limit truncation is not a terminal state: keep bootstrapping from it.
            buffer.add(obs, action, reward, next_obs, terminated)
            obs, total, step = next_obs, total + reward, step + 1
            finished = terminated or truncated
            if step >= warmup:
                learn()
        return total

    def greedy(obs: np.ndarray) -> np.ndarray:
        with cr.no_grad():
            return q_net(cr.from_numpy(obs.astype(np.float32))).argmax(dim=1).numpy()

    def evaluation(i: int) -> float:
        # Its own environments and seeds: evaluating draws nothing from the training RNGs,
        # so the training run is the same with or without evaluations.
        return float(np.mean(greedy_evaluation(greedy, 1_000_000 * (seed + 1) + 100 * i)))

    try:
        return run_episodes(play_episode, episodes, progress=progress, desc="DQN",
                            evaluate=evaluation if evaluate else None,
                            stop_on_evaluation=stop_on_evaluation)
    finally:
        env.close()


if __name__ == "__main__":
    main(train, "DQN", EPISODES, evaluation=True)
