"""Advantage actor-critic on CartPole-v1, written as with PyTorch.

Separate actor (a policy over the two actions, ``distributions.Categorical``) and critic
(a state value) networks. The agent acts for up to ``ROLLOUT`` steps, then scores each
step with generalized advantage estimation (GAE) from the critic, bootstrapping from the
critic's value where the rollout was cut (by ``ROLLOUT`` or by the time limit) rather than
ended by a fall. Loss: policy gradient ``-log_prob * advantage``, value regression, and an
entropy bonus; gradient clipping and Adam.

    python examples/rl/actor_critic.py --seed 0 --plot actor_critic.png
"""
from __future__ import annotations

import os
import sys

import numpy as np

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.distributions import Categorical

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import main, make_env, run_episodes, seed_everything  # noqa: E402

__all__ = ["ActorCritic", "train"]

# Hyperparameters; seeds 0, 1, 2 reach 475 in 1030-1633 episodes (see README.md).
HIDDEN = 64
GAMMA = 0.99
GAE_LAMBDA = 0.95
LR = 1e-3
ROLLOUT = 500            # steps per update at most (an episode's end also ends a rollout)
VALUE_COEF = 0.5
ENTROPY_COEF = 0.01
MAX_GRAD_NORM = 0.5
EPISODES = 2_000


def __dir__():
    return __all__


def mlp(n_in: int, n_out: int, hidden: int = HIDDEN) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(),
                         nn.Linear(hidden, hidden), nn.Tanh(),
                         nn.Linear(hidden, n_out))


class ActorCritic(nn.Module):
    """Separate policy and value networks behind one module (one optimizer, one state)."""

    def __init__(self, n_obs: int, n_actions: int, hidden: int = HIDDEN):
        super().__init__()
        self.actor = mlp(n_obs, n_actions, hidden)
        self.critic = mlp(n_obs, 1, hidden)

    def forward(self, obs):
        """The action distribution and the state value for a batch of observations."""
        return Categorical(logits=self.actor(obs)), self.critic(obs).squeeze(-1)


def gae(rewards: np.ndarray, values: np.ndarray, last_value: float,
        gamma: float = GAMMA, lam: float = GAE_LAMBDA) -> np.ndarray:
    """Generalized advantage estimates for one rollout; ``last_value`` is the value of the
    state after its last step (0 when that step ended the episode)."""
    advantages = np.zeros_like(rewards)
    running, next_value = 0.0, last_value
    for t in range(len(rewards) - 1, -1, -1):
        delta = rewards[t] + gamma * next_value - values[t]
        running = delta + gamma * lam * running
        advantages[t] = running
        next_value = values[t]
    return advantages


def train(seed: int = 0, episodes: int = EPISODES, *, progress: bool = True) -> list[float]:
    """Train an actor-critic agent; return each episode's return. Stops once the last 100
    average 475. The same ``seed`` gives the same returns."""
    seed_everything(seed)
    env = make_env(seed)
    n_obs, n_actions = env.observation_space.shape[0], env.action_space.n
    model = ActorCritic(n_obs, n_actions)
    optimizer = cr.optim.Adam(model.parameters(), lr=LR)

    def update(observations, actions, rewards, next_obs, terminated) -> None:
        obs = cr.from_numpy(np.asarray(observations, dtype=np.float32))
        dist, values = model(obs)
        with cr.no_grad():
            last_value = 0.0 if terminated else model.critic(
                cr.from_numpy(next_obs).unsqueeze(0)).item()
        adv = gae(np.asarray(rewards, dtype=np.float32), values.detach().numpy(), last_value)
        returns = cr.from_numpy(adv + values.detach().numpy())
        adv = cr.from_numpy(adv)
        if len(adv) > 1:
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        log_prob = dist.log_prob(cr.from_numpy(np.asarray(actions, dtype=np.int64)))
        policy_loss = -(log_prob * adv).mean()
        value_loss = F.mse_loss(values, returns)
        loss = policy_loss + VALUE_COEF * value_loss - ENTROPY_COEF * dist.entropy().mean()
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
        optimizer.step()

    def play_episode(i: int) -> float:
        obs, _ = env.reset(seed=seed) if i == 0 else env.reset()
        total, finished = 0.0, False
        observations, actions, rewards = [], [], []
        while not finished:
            with cr.no_grad():
                action = int(Categorical(logits=model.actor(cr.from_numpy(obs))).sample().item())
            next_obs, reward, terminated, truncated, _ = env.step(action)
            observations.append(obs)
            actions.append(action)
            rewards.append(reward)
            obs, total = next_obs, total + reward
            finished = terminated or truncated
            if finished or len(rewards) == ROLLOUT:
                update(observations, actions, rewards, obs, terminated)
                observations, actions, rewards = [], [], []
        return total

    try:
        return run_episodes(play_episode, episodes, progress=progress, desc="actor-critic")
    finally:
        env.close()


if __name__ == "__main__":
    main(train, "actor-critic", EPISODES)
