# Settings shared by the benchmark scripts (sourced).
# The PPO paper's HalfCheetah setting (64x64 tanh, 2048 x 1 rollouts, 10 epochs of batch 64): the
# speed benchmark's setting, and what experiment 2 ran before the preset was tuned.
PPO_PAPER_HC="--set net_arch=64,64 --set activation=tanh --set log_std_init=0 --set n_steps=2048
  --set batch_size=64 --set n_epochs=10 --set gamma=0.99 --set gae_lambda=0.95 --set learning_rate=0.0003
  --set ent_coef=0 --set clip_range=0.2 --set max_grad_norm=0.5 --set vf_coef=0.5"
