# RL Zoo's Stable-Baselines3 PPO setting for Hopper, run by SB3 itself on Hopper-v4: prints the
# training return every 20k steps and the final deterministic evaluation (10 episodes), to set
# beside Ratchet's run of the same setting (docs/BENCHMARKS.md, issue 30). Needs the test
# environment (bash scripts/setup.sh):
#   .venv-test/bin/python bench/tune30/sb3_hopper_zoo.py SEED STEPS
import sys, time
import numpy as np, torch, gymnasium as gym
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize
from stable_baselines3.common.callbacks import BaseCallback
torch.set_num_threads(1)
seed, steps = int(sys.argv[1]), int(sys.argv[2])
env = VecNormalize(make_vec_env("Hopper-v4", n_envs=1, seed=seed), gamma=0.999)
model = PPO("MlpPolicy", env, seed=seed, batch_size=32, n_steps=512, gamma=0.999, learning_rate=9.80828e-05,
            ent_coef=0.00229519, clip_range=0.2, n_epochs=5, gae_lambda=0.99, max_grad_norm=0.7, vf_coef=0.835671,
            policy_kwargs=dict(log_std_init=-2, ortho_init=False, activation_fn=torch.nn.ReLU,
                               net_arch=dict(pi=[256, 256], vf=[256, 256])))
class Log(BaseCallback):
    def __init__(self): super().__init__(); self.next = 20000; self.t0 = time.time()
    def _on_step(self):
        if self.num_timesteps >= self.next:
            self.next += 20000
            r = [e["r"] for e in self.model.ep_info_buffer]; l = [e["l"] for e in self.model.ep_info_buffer]
            print(f"{self.num_timesteps} train_return {np.mean(r):.1f} len {np.mean(l):.0f} "
                  f"std {self.model.policy.log_std.exp().mean().item():.3f} {time.time()-self.t0:.0f}s", flush=True)
        return True
model.learn(steps, callback=Log())
env.training = False; env.norm_reward = False
rets = []
for ep in range(10):
    env.seed(10_000 + ep); obs = env.reset(); done = [False]; ret = 0.0
    while not done[0]:
        obs, r, done, info = env.step(model.predict(obs, deterministic=True)[0]); ret += r[0]
    rets.append(ret)
print("deterministic eval", np.mean(rets), np.std(rets))
