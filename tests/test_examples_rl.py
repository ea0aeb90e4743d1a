"""Smoke tests for examples/rl (DQN and actor-critic on CartPole-v1).

The fast tests run each agent for a few episodes: it learns, the same seed repeats the same
returns, the plot is written. The full runs to CartPole's 475 are marked slow.
"""
import builtins
import importlib
import os
import sys

import numpy as np
import pytest

pytest.importorskip("gymnasium")
pytest.importorskip("tqdm")

RL_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "examples", "rl")
sys.path.insert(0, RL_DIR)

common = importlib.import_module("common")
dqn = importlib.import_module("dqn")
actor_critic = importlib.import_module("actor_critic")


def _dqn(seed, episodes=15):
    # A short warmup and decay so that these episodes learn and also act greedily.
    return dqn.train(seed, episodes, progress=False, warmup=64, eps_decay_steps=200)


def _ac(seed, episodes=15):
    return actor_critic.train(seed, episodes, progress=False)


@pytest.mark.parametrize("run", [_dqn, _ac], ids=["dqn", "actor_critic"])
def test_same_seed_same_returns(run):
    a, b = run(0), run(0)
    assert len(a) == 15 and all(r >= 1 for r in a)
    assert a == b
    assert run(1) != a  # a different seed plays differently: the check above can fail


def test_dqn_learns_and_acts_greedily(monkeypatch):
    """The smoke run really goes through the learning step and the greedy action."""
    calls = {"greedy": 0}
    real = dqn.QNetwork.forward

    def counting(self, x):
        if x.shape[0] == 1:
            calls["greedy"] += 1
        return real(self, x)

    monkeypatch.setattr(dqn.QNetwork, "forward", counting)
    _dqn(0, episodes=10)
    assert calls["greedy"] > 20


def test_dqn_target_network_is_a_copy():
    """load_state_dict copies values: stepping the online network leaves the target alone."""
    import chainrule as cr

    online, target = dqn.QNetwork(4, 2), dqn.QNetwork(4, 2)
    target.load_state_dict(online.state_dict())
    before = [p.detach().numpy().copy() for p in target.parameters()]
    opt = cr.optim.Adam(online.parameters(), lr=0.1)
    online(cr.ones(3, 4)).sum().backward()
    opt.step()
    after = [p.detach().numpy() for p in target.parameters()]
    assert all(np.array_equal(x, y) for x, y in zip(before, after))
    assert not np.array_equal(online.state_dict()["net.0.weight"].numpy(), before[0])


def test_replay_buffer_wraps_around():
    buf = dqn.ReplayBuffer(4, 2, np.random.default_rng(0))
    for i in range(6):
        buf.add([i, i], i % 2, float(i), [i + 1, i + 1], i == 5)
    assert len(buf) == 4
    assert buf.reward.tolist() == [4.0, 5.0, 2.0, 3.0]  # 4 and 5 overwrote 0 and 1
    obs, action, reward, next_obs, done = buf.sample(8)
    assert tuple(obs.shape) == (8, 2) and tuple(action.shape) == (8,)
    assert set(reward.numpy().tolist()) <= {2.0, 3.0, 4.0, 5.0}
    np.testing.assert_array_equal(next_obs.numpy(), obs.numpy() + 1)
    np.testing.assert_array_equal(done.numpy(), (reward.numpy() == 5.0).astype(np.float32))


def test_epsilon_schedule():
    assert dqn.epsilon(0) == dqn.EPS_START
    assert dqn.epsilon(dqn.EPS_DECAY_STEPS // 2) == pytest.approx(
        (dqn.EPS_START + dqn.EPS_END) / 2)
    assert dqn.epsilon(10 * dqn.EPS_DECAY_STEPS) == dqn.EPS_END


def test_gae_known_values():
    r = np.array([1.0, 1.0, 1.0], dtype=np.float32)
    v = np.array([0.5, 0.25, 0.0], dtype=np.float32)
    # lambda = 1: discounted return (bootstrapped from last_value) minus the value.
    adv = actor_critic.gae(r, v, last_value=2.0, gamma=0.5, lam=1.0)
    returns = [1 + 0.5 + 0.25 + 0.125 * 2, 1 + 0.5 + 0.25 * 2, 1 + 0.5 * 2]
    np.testing.assert_allclose(adv, np.array(returns) - v, rtol=1e-6)
    # lambda = 0: one-step TD errors.
    adv0 = actor_critic.gae(r, v, last_value=2.0, gamma=0.5, lam=0.0)
    np.testing.assert_allclose(adv0, [1 + 0.5 * 0.25 - 0.5, 1 + 0.0 - 0.25, 1 + 1.0 - 0.0])


def test_moving_average_and_solved():
    np.testing.assert_allclose(common.moving_average([1, 2, 3, 4], window=2), [1, 1.5, 2.5, 3.5])
    assert common.solved([475.0] * 100)
    assert common.solved([0.0] * 50 + [500.0] * 99 + [0.0])  # only the last 100 count
    assert not common.solved([500.0] * 99)
    assert not common.solved([500.0] * 100 + [474.0] * 100)


def test_run_episodes_stops_when_solved():
    calls = []

    def play(i):
        calls.append(i)
        return 500.0

    returns = common.run_episodes(play, 1000, progress=False)
    assert len(returns) == common.WINDOW == len(calls)


def test_main_prints_and_writes_plot(tmp_path, capsys):
    path = tmp_path / "curves" / "ac.png"
    returns = common.main(actor_critic.train, "actor-critic", 10,
                          ["--seed", "3", "--episodes", "4", "--plot", str(path),
                           "--no-progress"])
    assert len(returns) == 4
    out = capsys.readouterr().out
    assert "NOT solved after 4 episodes" in out and "wall time" in out
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_gymnasium_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_gym(name, *args, **kwargs):
        if name == "gymnasium" or name.startswith("gymnasium."):
            raise ImportError("No module named 'gymnasium'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_gym)
    with pytest.raises(ImportError, match=r"pip install chainrule\[rl\]"):
        common.require_gymnasium()
    with pytest.raises(ImportError, match=r"chainrule\[rl\]"):
        dqn.train(0, 1, progress=False)


@pytest.mark.slow
@pytest.mark.parametrize("module", [dqn, actor_critic], ids=["dqn", "actor_critic"])
def test_reaches_475(module):
    returns = module.train(0, module.EPISODES, progress=False)
    assert common.solved(returns), (len(returns), float(np.mean(returns[-100:])))
